/** The Bitrix24 portal this connector is installed on, with its OAuth tokens. */
export interface PortalRecord {
  readonly memberId: string;
  readonly domain: string;
  readonly clientEndpoint: string;
  readonly serverEndpoint: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Unix seconds. */
  readonly expires: number;
  readonly expiresIn: number;
  readonly applicationToken: string;
  readonly scope: string;
  readonly status: string;
  readonly userId: string;
  readonly installedAt: number;
  readonly updatedAt: number;
}

export interface PortalTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expires: number;
  readonly expiresIn: number;
  readonly clientEndpoint?: string;
  readonly serverEndpoint?: string;
  readonly scope?: string;
  readonly status?: string;
}
