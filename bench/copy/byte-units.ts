/** Byte units (powers of two) for the copy benchmark's sizes and figures. */

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
