/* threads_joined_clean: four threads each allocate and free 50 blocks and
 * are joined; the program leaks nothing. glibc keeps the joined threads'
 * stacks (with each thread's DTV, a heap block) in its stack cache: glibc's
 * own memory, which valgrind's __libc_freeres releases. Expect: nothing. */
#include "leak.h"
static NOINLINE void *run(void *arg)
{
    void *b[50];
    for (int i = 0; i < 50; i++)
        b[i] = xmalloc(16 + (size_t)i);
    for (int i = 0; i < 50; i++)
        free(b[i]);
    return arg;
}
int main(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, run, NULL))
            return 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    scrub();
    say("threads_joined_clean\n");
    return 0;
}
