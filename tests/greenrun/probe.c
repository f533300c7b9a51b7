/* A tiny program for the greenrun tests, built dynamic, static and
 * static-pie: it says that it ran, so a test can tell that greenrun refused
 * to start it. */
#include <stdio.h>

int main(void)
{
    puts("probe ran");
    return 0;
}
