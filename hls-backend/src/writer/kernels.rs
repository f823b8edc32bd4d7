//! The kernel headers every generated project carries (`firmware/nnet_utils/`): a sparse
//! latency-strategy dense layer, ReLU, casts, affine, the table softmax and argmax.

/// `nnet_dense.h`.
pub const DENSE_H: &str = r#"// Dense layer, latency strategy: only the non-zero weights are stored (w, with their input
// row and output col), the accumulator is wide enough that no input in range can overflow it,
// and the result is cast once to res_T.
#ifndef NNET_DENSE_H_
#define NNET_DENSE_H_

#include "ap_fixed.h"

namespace nnet {

template <class data_T, class res_T, class acc_T, class w_T, class b_T, int N_IN, int N_OUT, int N_NZ, int REUSE>
void dense_sparse(const data_T x[N_IN], res_T y[N_OUT], const w_T w[N_NZ], const unsigned short row[N_NZ],
                  const unsigned short col[N_NZ], const b_T b[N_OUT]) {
#pragma HLS INLINE
    acc_T acc[N_OUT];
#pragma HLS ARRAY_PARTITION variable = acc complete
init:
    for (int j = 0; j < N_OUT; j++) {
#pragma HLS UNROLL
        acc[j] = (acc_T)b[j];
    }
mult:
    for (int k = 0; k < N_NZ; k++) {
#pragma HLS UNROLL factor = (N_NZ + REUSE - 1) / REUSE
        acc[col[k]] += x[row[k]] * w[k];
    }
result:
    for (int j = 0; j < N_OUT; j++) {
#pragma HLS UNROLL
        y[j] = (res_T)acc[j];
    }
}

} // namespace nnet

#endif
"#;

/// `nnet_activation.h`.
pub const ACTIVATION_H: &str = r#"// Element-wise layers: ReLU, quantizing cast, affine, and argmax.
#ifndef NNET_ACTIVATION_H_
#define NNET_ACTIVATION_H_

#include "ap_fixed.h"

namespace nnet {

template <class data_T, class res_T, int N> void relu(const data_T x[N], res_T y[N]) {
#pragma HLS INLINE
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
        y[i] = x[i] > 0 ? (res_T)x[i] : (res_T)0;
    }
}

template <class data_T, class res_T, int N> void cast(const data_T x[N], res_T y[N]) {
#pragma HLS INLINE
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
        y[i] = (res_T)x[i];
    }
}

template <class data_T, class res_T, class acc_T, class s_T, class c_T, int N>
void affine(const data_T x[N], res_T y[N], const s_T s[N], const c_T c[N]) {
#pragma HLS INLINE
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
        acc_T a = x[i] * s[i];
        a += c[i];
        y[i] = (res_T)a;
    }
}

template <class data_T, class res_T, int N> void argmax(const data_T x[N], res_T y[1]) {
#pragma HLS INLINE
    int best = 0;
    for (int i = 1; i < N; i++) {
#pragma HLS UNROLL
        if (x[i] > x[best]) best = i;
    }
    y[0] = best;
}

// Softmax by tables, in integers (see the hls-backend documentation): d = max - x at F
// fractional bits indexes exp_table at EXP_FRAC bits; the sum's top bits index inv_table.
template <class data_T, class res_T, int N, int F, int EXP_FRAC, int EXP_SIZE, int INV_SHIFT, int INV_SIZE>
void softmax_table(const data_T x[N], res_T y[N], const unsigned int exp_table[EXP_SIZE],
                   const unsigned long long inv_table[INV_SIZE]) {
#pragma HLS INLINE
    data_T m = x[0];
    for (int i = 1; i < N; i++) {
#pragma HLS UNROLL
        if (x[i] > m) m = x[i];
    }
    unsigned long long e[N];
#pragma HLS ARRAY_PARTITION variable = e complete
    unsigned long long sum = 0;
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
        ap_fixed<data_T::width + 1, data_T::iwidth + 1> d = m - x[i];
        ap_int<data_T::width + 1> raw;
        raw.range(data_T::width, 0) = d.range(data_T::width, 0);
        unsigned long long dr = (unsigned long long)raw.to_int64();
        unsigned long long idx = (F >= EXP_FRAC) ? (dr >> (F >= EXP_FRAC ? F - EXP_FRAC : 0))
                                                 : (dr << (F >= EXP_FRAC ? 0 : EXP_FRAC - F));
        if (idx > EXP_SIZE - 1) idx = EXP_SIZE - 1;
        e[i] = exp_table[idx];
        sum += e[i];
    }
    unsigned long long k = sum >> INV_SHIFT;
    if (k > INV_SIZE - 1) k = INV_SIZE - 1;
    for (int i = 0; i < N; i++) {
#pragma HLS UNROLL
        unsigned long long v = (e[i] * inv_table[k]) >> 16;
        if (v > 65535) v = 65535;
        ap_uint<16> bits = v;
        res_T r;
        r.range(15, 0) = bits;
        y[i] = r;
    }
}

} // namespace nnet

#endif
"#;
