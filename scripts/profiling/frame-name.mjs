// One name per V8 call frame, shared by the profile summaries: function, then the file relative to node_modules or to
// the checkout's src/bench/load-tests/bin, and the 1-based line.
export function frameName({ functionName, url, lineNumber }) {
  const file = (url || '').replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|load-tests|bin)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file}${file ? `:${lineNumber + 1}` : ''}`;
}
