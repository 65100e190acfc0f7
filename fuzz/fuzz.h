/*
 * fuzz.h - helpers shared by the libFuzzer targets in fuzz/ (fuzz/build.sh
 * compiles each fuzz_NAME.c listed in fuzz/targets with the library sources
 * it needs).
 */
#ifndef LA_FUZZ_H
#define LA_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a NUL-terminated string (an embedded NUL ends it early, as
 * it would for any C caller).  NULL when out of memory. */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* A failed invariant: abort so that libFuzzer records the input. */
#define FZ_ASSERT(cond)                                                                            \
	do {                                                                                       \
		if (!(cond))                                                                       \
			__builtin_trap();                                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
