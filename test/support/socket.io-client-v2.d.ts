// socket.io-client@2 (installed as socket.io-client-v2) ships no types; the tests use little of it.
declare module 'socket.io-client-v2' {
  interface V2Socket {
    id: string;
    connected: boolean;
    on(event: string, listener: (...args: any[]) => void): V2Socket;
    once(event: string, listener: (...args: any[]) => void): V2Socket;
    off(event: string, listener?: (...args: any[]) => void): V2Socket;
    emit(event: string, ...args: any[]): V2Socket;
    close(): V2Socket;
    io: { engine: { transport: { name: string } } };
  }
  function io(url: string, options?: Record<string, unknown>): V2Socket;
  export default io;
}
