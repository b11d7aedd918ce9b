// Errors the identity API raises for bad input. `code` is CONTRACT.md's extensions.code, so
// the GraphQL layer can pass it through unchanged; `field` names the argument at fault.

export class IdentityInputError extends Error {
  override readonly name = 'IdentityInputError';
  readonly code = 'BAD_USER_INPUT';
  constructor(readonly field: string, reason: string) {
    super(`${field}: ${reason}`);
  }
  get extensions(): { code: 'BAD_USER_INPUT'; field: string } {
    return { code: this.code, field: this.field };
  }
}
