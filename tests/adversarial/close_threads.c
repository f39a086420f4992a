/* SPDX-License-Identifier: MIT */
/* closefrom(3) while two threads allocate, then the program's own files. */
#include <pthread.h>

#include "adv.h"

static void *churn(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++)
        free(malloc(16 + (size_t)(i % 64)));
    return NULL;
}

int main(void)
{
    free(adv_marker(100031));
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, churn, NULL) != 0)
            return 1;
    closefrom(3);
    int a = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int b = open("b.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("files %d %d\n", a, b);
    if (write(a, "a\n", 2) != 2 || write(b, "b\n", 2) != 2)
        return 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    free(adv_marker(100032));
    close(a);
    close(b);
    return 0;
}
