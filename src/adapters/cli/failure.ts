/** A CLI outcome that is not success: printed as one line on stderr, with its exit code. */
export class CliFailure extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}
