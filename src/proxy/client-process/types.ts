/** The local process on the client side of a connection. */
export interface ClientApplication {
  pid: number;
  /** Full path of the executable, when the OS lets us read it. */
  exe?: string;
  /** The process name (Linux comm, macOS/Windows image name). */
  name: string;
}

export type ClientLookup = { application: ClientApplication } | { unknown: string };

/** The two ends of the accepted connection as the proxy sees them. */
export interface ConnectionEnds {
  /** The client's address and port (the proxy socket's remote end). */
  clientAddress: string;
  clientPort: number;
  /** The proxy's listening address and port (the proxy socket's local end). */
  proxyAddress: string;
  proxyPort: number;
}
