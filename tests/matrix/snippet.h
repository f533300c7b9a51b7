/* The snippet of the wrapper matrix (after libfaketime's): one call of
 * each wrapper family, printed so that runs natively and under libgreen
 * compare byte for byte. Knows nothing of libgreen. */
#ifndef GREEN_TESTS_MATRIX_SNIPPET_H
#define GREEN_TESTS_MATRIX_SNIPPET_H

void snippet(const char *where);

#endif
