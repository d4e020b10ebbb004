export async function generateCommand(_a: string[]): Promise<number> { return 1; }
