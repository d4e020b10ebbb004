export { startScoringApi, startScoringApiService, type BatchResult, type ScoringApi, type ScoringApiOptions } from './server.ts';
export { apiKeyCommand } from './api-key-command.ts';
export { assertKeyId, createApiKeyVerifier, credentialOf, generateApiKey, hashApiSecretScrypt, hashApiSecretSha256, loadApiKeys, type ApiKeyVerifier } from './api-keys.ts';
export { fallbackDecision, FALLBACK_RULE, FALLBACK_RULES_VERSION, type FallbackDecision } from './fallback.ts';
export { API_ROUTES, type RouteName } from './routes.ts';
export type { ApiErrorBody } from './exchange.ts';
