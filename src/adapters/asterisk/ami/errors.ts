/** Every failure of the AMI adapter; messages name the action, never the secret. */
export class AmiError extends Error {
  constructor(message: string, readonly action?: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Asterisk rejected the credentials (Response: Error / Authentication failed), or the login did not complete. */
export class AmiLoginError extends AmiError {}

/** The TCP connection to the AMI could not be made or was lost before login. */
export class AmiConnectionError extends AmiError {}

/** Asterisk answered the action with `Response: Error`; `message` is Asterisk's `Message:`. */
export class AmiActionError extends AmiError {
  constructor(action: string, readonly serverMessage: string) {
    super(`AMI action ${action} failed: ${serverMessage}`, action);
  }
}

/** No response within the action timeout. */
export class AmiTimeoutError extends AmiError {
  constructor(action: string, readonly timeoutMs: number) {
    super(`AMI action ${action} got no response within ${timeoutMs} ms`, action);
  }
}

/** The connection dropped (or was never up) while the action was pending. */
export class AmiDisconnectedError extends AmiError {
  constructor(action: string, reason: string) {
    super(`AMI action ${action} aborted: ${reason}`, action);
  }
}

/** The request itself is invalid (bad header value, ChannelId too long or reused…): nothing was sent. */
export class AmiRequestError extends AmiError {}
