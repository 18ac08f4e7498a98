/* fuzz.h
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point each fuzz-*.c defines; fuzz-replay.c calls it
 * when the target is built as a plain test.
 */
int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);
