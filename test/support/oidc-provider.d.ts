// oidc-provider ships no type declarations; the test harness uses a small part of it.
declare module 'oidc-provider' {
  /* eslint-disable @typescript-eslint/no-explicit-any -- an untyped package; the harness uses a small part of it */
  const Provider: any;
  type Provider = any;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  export default Provider;
}
