// Module resolution hook: 'node:test' resolves to the wrapper, except inside the wrapper itself.
const WRAPPER = new URL('./nodeTest.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'node:test' && context.parentURL !== WRAPPER) return { url: WRAPPER, shortCircuit: true };
  return nextResolve(specifier, context);
}
