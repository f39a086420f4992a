/* correct_program [LIB]: a correct program that uses stdio (printf, a
 * FILE it closes), four threads that it joins, iconv (opened and closed)
 * and dlopen/dlclose of LIB. It frees everything it allocates. Expect: no
 * block lost; glibc's own buffers (stdout's, iconv's cache, the loader's)
 * are live at exit and reachable under heaptrace, freed by valgrind's
 * __libc_freeres (see expect). */
#include "leak.h"
#include <iconv.h>
#include <stdio.h>
static NOINLINE void *run(void *arg)
{
    char *s = xmalloc(64);
    snprintf(s, 64, "thread %ld\n", (long)(intptr_t)arg);
    fputs(s, stdout);
    free(s);
    return arg;
}
int main(int argc, char **argv)
{
    printf("correct_program\n");
    FILE *f = tmpfile();
    if (f) {
        fprintf(f, "%d\n", 42);
        fclose(f);
    }
    pthread_t t[4];
    for (intptr_t i = 0; i < 4; i++)
        if (pthread_create(&t[i], NULL, run, (void *)i))
            return 1;
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
    if (cd != (iconv_t)-1) {
        char in[] = "caf\xc3\xa9", out[32], *ip = in, *op = out;
        size_t il = sizeof in - 1, ol = sizeof out;
        iconv(cd, &ip, &il, &op, &ol);
        iconv_close(cd);
    }
    if (argc > 1) {
        void *h;
        void (*put)(size_t) = (void (*)(size_t))open_lib_sym(argc, argv, "lib_fill", &h);
        (void)put;
        dlclose(h);
    }
    fflush(stdout);
    return 0;
}
