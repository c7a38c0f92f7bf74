/* Plain C reference for the Tensor matmul overhead: times cblas_sgemm directly at the
 * ViT-B/32 shapes that `swift run -c release tensor-demo` times through `Tensor.matmul`.
 *
 *   cc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread Benchmarks/sgemm-baseline/sgemm_baseline.c \
 *      -o /tmp/sgemm-baseline -lopenblas && /tmp/sgemm-baseline
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fill(float *p, size_t n, unsigned state) {
    for (size_t i = 0; i < n; i++) {
        state = state * 1664525u + 1013904223u;
        p[i] = (float)(state >> 8) / (float)(1 << 23) - 1.0f;
    }
}

int main(void) {
    const int shapes[4][3] = {{50, 768, 768}, {50, 768, 3072}, {1600, 768, 768}, {1600, 768, 3072}};
    for (int s = 0; s < 4; s++) {
        int m = shapes[s][0], k = shapes[s][1], n = shapes[s][2];
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * n * k);
        float *c = malloc(sizeof(float) * m * n);
        fill(a, (size_t)m * k, 5);
        fill(b, (size_t)n * k, 6);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 0, c, n);
        int reps = m > 100 ? 5 : 50;
        double start = now();
        for (int r = 0; r < reps; r++)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1, a, k, b, k, 0, c, n);
        double t = (now() - start) / reps;
        printf("cblas_sgemm [%d,%d]x[%d,%d]^T: %.2f ms, %.1f GFLOP/s\n", m, k, n, k, t * 1e3,
               2.0 * m * k * n / t / 1e9);
        free(a); free(b); free(c);
    }
    return 0;
}
