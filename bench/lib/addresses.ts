/**
 * Hands out client source addresses from 127.0.0.0/8. Each address has about 28,000 ephemeral ports,
 * and sockets closed by a client linger in TIME_WAIT for a minute holding theirs, so every scenario
 * gets addresses no earlier scenario of this run has used.
 */
let next = 0;

function address(n: number): string {
  // 127.1.0.1 upwards, skipping .0 and .255 in the last octet.
  const host = 1 + (n % 254);
  const block = Math.floor(n / 254);
  return `127.${1 + Math.floor(block / 256)}.${block % 256}.${host}`;
}

/** `groups` disjoint lists of `perGroup` fresh addresses. */
export function freshAddresses(groups: number, perGroup: number): string[][] {
  return Array.from({ length: groups }, () => Array.from({ length: perGroup }, () => address(next++)));
}

/** Fresh addresses for `connections` sockets over `groups` processes, at most `perAddress` each. */
export function addressesFor(connections: number, groups: number, perAddress = 5000): string[][] {
  const perGroup = Math.max(1, Math.ceil(connections / groups / perAddress));
  return freshAddresses(groups, perGroup);
}
