/**
 * Types for the `asterisk-manager` package (0.2.0), covering what the AMI client uses. Parsed
 * messages have lowercased keys; repeated keys become arrays; `variable`/`chanvariable` become objects.
 */
declare module 'asterisk-manager' {
  type AmiRawValue = string | string[] | Record<string, string>;
  export type AmiRawMessage = Record<string, AmiRawValue | undefined>;

  interface Manager {
    options: { port: number | undefined; host: string; username: string; password: string; events: boolean };
    connect(port: number, host: string, callback?: () => void): void;
    login(callback?: (err?: AmiRawMessage) => void): void;
    action(action: Record<string, string | Record<string, string> | undefined>, callback?: (err: AmiRawMessage | undefined, res: AmiRawMessage) => void): string;
    disconnect(callback?: () => void): void;
    isConnected(): boolean;
    keepConnected(): void;
    on(event: 'managerevent', listener: (ev: AmiRawMessage) => void): this;
    on(event: 'asterisk' | 'response', listener: (msg: AmiRawMessage) => void): this;
    on(event: 'connect' | 'close' | 'end', listener: () => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: string, listener: (...args: never[]) => void): this;
    removeAllListeners(event?: string): this;
    listeners(event: string): unknown[];
  }

  interface ManagerConstructor {
    new (port: number | undefined, host: string, username: string, password: string, events: boolean): Manager;
    (port: number | undefined, host: string, username: string, password: string, events: boolean): Manager;
  }

  const Manager: ManagerConstructor;
  export default Manager;
}
