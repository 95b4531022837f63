/**
 * Linux capabilities, for the containers' least privilege (B15): each container drops them all and
 * adds back those its module names, each with the reason it is needed (StackService applies them).
 */

/** Each capability's bit in /proc/PID/status CapBnd, CapEff… (linux include/uapi/linux/capability.h). */
export const CAPABILITY_BITS = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6, SETUID: 7, SETPCAP: 8,
  LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11, NET_ADMIN: 12, NET_RAW: 13, IPC_LOCK: 14, IPC_OWNER: 15,
  SYS_MODULE: 16, SYS_RAWIO: 17, SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23,
  SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29, AUDIT_CONTROL: 30, SETFCAP: 31,
} as const;

export type Capability = keyof typeof CAPABILITY_BITS;

/** The capabilities a container keeps, each with why it needs it: what breaks without it. */
export type CapabilityReasons = Readonly<Partial<Record<Capability, string>>>;

/** The names of the capabilities set in a /proc/PID/status mask (hexadecimal), in bit order. */
export function capabilitiesOfMask(hex: string): Capability[] {
  const mask = BigInt(`0x${hex}`);
  return (Object.entries(CAPABILITY_BITS) as Array<[Capability, number]>)
    .filter(([, bit]) => (mask >> BigInt(bit)) & 1n).map(([name]) => name);
}

/** The capabilities `reasons` names, in bit order: the chart's `add` list. */
export function capabilityList(reasons: Readonly<Partial<Record<Capability, unknown>>>): Capability[] {
  return (Object.keys(reasons) as Capability[]).sort((a, b) => CAPABILITY_BITS[a] - CAPABILITY_BITS[b]);
}

/** What the pods of nginx with php-fpm (wordpress, phpmyadmin) need alike, besides CHOWN for what each entrypoint hands over. */
export const NGINX_PHP_FPM_CAPABILITIES = {
  KILL: 'php-fpm\'s master signals its workers, which run as PHP_FPM_USER (idle ones retired, all of them told to stop)',
  SETGID: 'the workers of nginx and php-fpm and socat\'s (serve-metrics) connections change to their own groups',
  SETUID: 'the workers of nginx and php-fpm and socat\'s (serve-metrics) connections change to their own users',
} as const satisfies CapabilityReasons;
