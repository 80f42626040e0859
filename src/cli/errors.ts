// Exit codes of the `meshql` command, and the error that carries one.

export const EXIT = {
  ok: 0,
  /** Bad flags or arguments, or a name that does not exist: the user can fix the command line. */
  usage: 1,
  /** The gateway, its backend or the credentials failed: something outside the command line. */
  backend: 2,
} as const;

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
