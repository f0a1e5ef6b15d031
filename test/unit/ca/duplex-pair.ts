import { Duplex } from 'node:stream';

/** Two connected in-memory streams: what one is written, the other reads. Lets TLS run without sockets. */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const makeEnd = (peerIndex: number): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        ends[peerIndex].push(chunk);
        callback();
      },
      final(callback) {
        ends[peerIndex].push(null);
        callback();
      },
    });
  ends.push(makeEnd(1), makeEnd(0));
  return [ends[0], ends[1]];
}
