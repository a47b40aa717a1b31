// What a call gave, as one line two runs (overlapped, node:net) can be compared by: 'this'
// when it returned the object it was called on, the value as JSON (ports, which differ
// between runs, as "number"), or the error thrown with its name, code and message.
export function outcomeOf(fn: () => unknown, self: object): string {
  try {
    const r = fn();
    if (r === undefined) return 'undefined';
    if (r === self) return 'this';
    return (JSON.stringify(r) ?? typeof r).replace(/"port":\d+/g, '"port":"number"');
  } catch (e) {
    const err = e as Error & { code?: unknown };
    return `threw ${err.name}[${String(err.code)}] ${err.message}`;
  }
}
