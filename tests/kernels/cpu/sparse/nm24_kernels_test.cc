// The 2:4 compressed kernel (kernels/cpu/sparse/nm24_*): the format
// round-trips and the detector's rule (short last groups, one dense group);
// each ISA's microkernel the host runs against the plain product on random
// M (1..9), N (tails of 16) and K (not a multiple of 4), with bias and
// activations; MatMul / FusedMatMul / Gemm descriptors against the
// reference through the registry; a dynamic-batch Gemm through a Session
// (the 2:4 kernel at M = 1, its dense fallback above the break-even); and
// the choice: 2:4 at M = 1, not with one group of 3 nonzeros, not above
// nm24_max_rows (per ISA), CSR at >= 90% zeros, dense at the portable ISA.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "fastserve/graph.h"
#include "fastserve/session.h"
#include "graph/op_schema.h"
#include "kernels/cpu/sparse/nm24_ukernel.h"
#include "kernels/cpu/sparse/sparse_matrix.h"
#include "runtime/kernel_registry.h"
#include "tests/kernels/cpu/sparse/host_ukernels.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_string;
using testing::OpSpec;

// W^T [n x k] row-major with a random 2:4 pattern: in each group of 4
// along k exactly `keep` (0..2, random per group when -1) values nonzero.
std::vector<float> random_2_4(int64_t n, int64_t k, std::mt19937& rng, int keep = -1) {
  std::vector<float> w(static_cast<size_t>(n * k), 0.f);
  std::uniform_real_distribution<float> val(-1.f, 1.f);
  std::uniform_int_distribution<int> count(0, 2);
  for (int64_t f = 0; f < n; ++f) {
    for (int64_t g = 0; g < k; g += 4) {
      const int len = static_cast<int>(std::min<int64_t>(4, k - g));
      std::vector<int> idx = {0, 1, 2, 3};
      idx.resize(static_cast<size_t>(len));
      std::shuffle(idx.begin(), idx.end(), rng);
      const int kept = std::min(len, keep < 0 ? count(rng) : keep);
      for (int t = 0; t < kept; ++t) {
        float v = val(rng);
        if (v == 0.f) v = 0.5f;
        w[static_cast<size_t>(f * k + g + idx[static_cast<size_t>(t)])] = v;
      }
    }
  }
  return w;
}

// W^T [n x k] as Gemm's B: [k x n] (trans_b false) or [n x k].
Tensor as_b(const std::vector<float>& wt, int64_t n, int64_t k, bool trans_b) {
  Tensor t = Tensor::empty(DType::kF32, trans_b ? Shape{n, k} : Shape{k, n});
  float* d = t.data<float>();
  for (int64_t f = 0; f < n; ++f) {
    for (int64_t i = 0; i < k; ++i) d[trans_b ? f * k + i : i * n + f] = wt[static_cast<size_t>(f * k + i)];
  }
  return t;
}

std::vector<const Nm24Ukernel*> host_nm24_ukernels() {
#if defined(__x86_64__) || defined(_M_X64)
  return testing::host_ukernels(&kNm24Portable, {&kNm24Avx2, &kNm24Avx512});
#else
  return {&kNm24Portable};
#endif
}

TEST(Nm24Matrix, CompressExpandRoundTripsInBothLayouts) {
  std::mt19937 rng(24);
  for (int64_t n : {1, 15, 16, 17, 40}) {
    for (int64_t k : {1, 2, 3, 4, 5, 7, 8, 30}) {
      SCOPED_TRACE("n " + std::to_string(n) + " k " + std::to_string(k));
      const std::vector<float> wt = random_2_4(n, k, rng);
      Result<Nm24Matrix> a = nm24_from_dense(wt.data(), n, k, k, 1);
      ASSERT_TRUE(a.ok()) << a.status().to_string();
      EXPECT_EQ(a->groups, (k + 3) / 4);
      EXPECT_EQ(a->blocks, (n + 15) / 16);
      EXPECT_EQ(nm24_to_dense(*a), wt);
      // The same matrix stored [k x n] (Gemm's B without transB), scaled.
      const Tensor b = as_b(wt, n, k, false);
      EXPECT_TRUE(is_2_4_sparse(b, WeightLayout::kKN));
      EXPECT_TRUE(is_2_4_sparse(as_b(wt, n, k, true), WeightLayout::kNK));
      Result<Nm24Matrix> s = nm24_from_dense(b.data<float>(), n, k, 1, n, 2.f);
      ASSERT_TRUE(s.ok());
      std::vector<float> want = wt;
      for (float& x : want) x *= 2.f;
      EXPECT_EQ(nm24_to_dense(*s), want);
      // Every position byte points inside K, even for empty slots.
      for (int64_t g = 0; g < s->groups; ++g) {
        for (int64_t j = 0; j < 16; ++j) {
          const uint8_t p = s->pos[static_cast<size_t>(g * 16 + j)];
          EXPECT_LT(g * 4 + (p & 3), k);
          EXPECT_LT(g * 4 + ((p >> 2) & 3), k);
        }
      }
    }
  }
}

TEST(Nm24Matrix, DetectorRejectsAGroupOfThreeNonzeros) {
  std::mt19937 rng(25);
  const int64_t n = 20, k = 13;
  std::vector<float> wt = random_2_4(n, k, rng, 2);
  EXPECT_TRUE(is_2_4_sparse(as_b(wt, n, k, false), WeightLayout::kKN));
  // Feature 17, group 1 (k 4..7): a third nonzero.
  for (int64_t i = 4; i < 8; ++i) {
    if (wt[static_cast<size_t>(17 * k + i)] == 0.f) {
      wt[static_cast<size_t>(17 * k + i)] = 0.25f;
      break;
    }
  }
  EXPECT_FALSE(is_2_4_sparse(as_b(wt, n, k, false), WeightLayout::kKN));
  EXPECT_FALSE(is_2_4_sparse(as_b(wt, n, k, true), WeightLayout::kNK));
  const Result<Nm24Matrix> m = nm24_from_dense(wt.data(), n, k, k, 1);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("output feature 17"), std::string::npos) << m.status().to_string();
  // The short last group (k 12) holds one value: at most 2 are allowed.
  std::vector<float> tail(static_cast<size_t>(2 * 7), 0.f);  // n 2, k 7: groups 0..3, 4..6
  tail[4] = tail[5] = 1.f;
  EXPECT_TRUE(is_2_4_sparse(as_b(tail, 2, 7, true), WeightLayout::kNK));
  tail[6] = 1.f;
  EXPECT_FALSE(is_2_4_sparse(as_b(tail, 2, 7, true), WeightLayout::kNK));
  // A dense matrix is not 2:4; other dtypes and ranks never are.
  EXPECT_FALSE(is_2_4_sparse(testing::random_f32({8, 8}, rng), WeightLayout::kKN));
  EXPECT_FALSE(is_2_4_sparse(Tensor::zeros(DType::kF32, Shape{2, 2, 2}), WeightLayout::kKN));
}

TEST(Nm24Ukernel, EveryUkernelMatchesThePlainProduct) {
  std::mt19937 rng(26);
  std::uniform_int_distribution<int64_t> dn(1, 70), dk(1, 90);
  const GemmActivation acts[] = {GemmActivation::kNone, GemmActivation::kRelu, GemmActivation::kClamp};
  for (const Nm24Ukernel* uk : host_nm24_ukernels()) {
    for (int64_t m = 1; m <= 9; ++m) {
      for (int rep = 0; rep < 4; ++rep) {
        int64_t n = dn(rng), k = dk(rng);
        if (rep == 0) k = k / 4 * 4 + 3;          // K not a multiple of 4 in every M
        if (rep == 1) n = 16 * (n / 16 + 1) + 1;  // a 1-wide feature tail
        const std::vector<float> wt = random_2_4(n, k, rng);
        Result<Nm24Matrix> w = nm24_from_dense(wt.data(), n, k, k, 1);
        ASSERT_TRUE(w.ok());
        const int64_t lda = k + 3, ldc = n + 5;
        const Tensor a = testing::random_f32({m, lda}, rng);
        const Tensor bias = testing::random_f32({n}, rng);
        const GemmActivation act = acts[rep % 3];
        SCOPED_TRACE(std::string(uk->name) + " m " + std::to_string(m) + " n " + std::to_string(n) + " k " +
                     std::to_string(k) + " act " + std::to_string(static_cast<int>(act)));
        Nm24Params p;
        p.bias = rep == 3 ? nullptr : bias.data<float>();
        p.activation = act;
        p.clamp_min = -0.4f;
        p.clamp_max = 0.6f;
        std::vector<float> c(static_cast<size_t>(m * ldc), 42.f);
        // Blocks in two calls, as the threads split them.
        const int64_t mid = w->blocks / 2;
        uk->fn(*w, 0, mid, a.data<float>(), lda, m, c.data(), ldc, p);
        uk->fn(*w, mid, w->blocks, a.data<float>(), lda, m, c.data(), ldc, p);
        for (int64_t r = 0; r < m; ++r) {
          for (int64_t f = 0; f < ldc; ++f) {
            const float got = c[static_cast<size_t>(r * ldc + f)];
            if (f >= n) {
              ASSERT_EQ(got, 42.f) << "feature " << f << " is past n";
              continue;
            }
            double want = p.bias != nullptr ? p.bias[f] : 0.0;
            for (int64_t i = 0; i < k; ++i) {
              want += static_cast<double>(wt[static_cast<size_t>(f * k + i)]) * a.data<float>()[r * lda + i];
            }
            if (act == GemmActivation::kRelu) want = std::max(want, 0.0);
            if (act == GemmActivation::kClamp) want = std::min(std::max(want, -0.4), 0.6);
            ASSERT_NEAR(got, want, 1e-4 * (1 + std::fabs(want))) << "r " << r << " f " << f;
          }
        }
      }
    }
  }
}

// The short last group reads only A[r][k] for k < K: an empty slot picks
// one of its group's real positions, and the padding is a zeroed copy, so
// whatever lies past the row (NaNs here) never reaches the output.
TEST(Nm24Ukernel, ShortLastGroupNeverReadsPastTheRow) {
  const int64_t n = 16, k = 5;  // the last group has one real position
  std::vector<float> wt(static_cast<size_t>(n * k), 0.f);
  for (int64_t f = 0; f < n; ++f) wt[static_cast<size_t>(f * k + 4)] = 1.f + static_cast<float>(f);
  Result<Nm24Matrix> w = nm24_from_dense(wt.data(), n, k, k, 1);
  ASSERT_TRUE(w.ok());
  // Row 0 is followed by NaNs (as if the next row or page held them).
  std::vector<float> a = {1, 1, 1, 1, 2, NAN, NAN, NAN, NAN};
  for (const Nm24Ukernel* uk : host_nm24_ukernels()) {
    SCOPED_TRACE(uk->name);
    std::vector<float> c(static_cast<size_t>(n), 0.f);
    uk->fn(*w, 0, 1, a.data(), k, 1, c.data(), n, Nm24Params{});
    for (int64_t f = 0; f < n; ++f) EXPECT_EQ(c[static_cast<size_t>(f)], 2.f * (1.f + static_cast<float>(f)));
  }
}

// True (with a message) when the host runs no 2:4 descriptor (below AVX2).
bool no_nm24_descriptor() {
  if (host_isa() >= Isa::kAvx2) return false;
  std::cout << "[ SKIPPED  ] the 2:4 descriptors need AVX2; the host runs " << isa_name(host_isa()) << "\n";
  return true;
}

// Every runnable descriptor (the 2:4 ones among them) against the reference.
void expect_nm24_kernels(const std::string& label, const OpSpec& spec, const std::vector<Tensor>& inputs) {
  SCOPED_TRACE(label);
  if (no_nm24_descriptor()) return;
  const std::vector<const KernelDesc*> ks = testing::runnable_kernels(spec, inputs);
  int nm24 = 0;
  for (const KernelDesc* d : ks) nm24 += std::string(d->name).find("_2_4__") != std::string::npos ? 1 : 0;
  EXPECT_GE(nm24, 1) << "a 2:4 constant B at small M should offer the 2:4 kernels";
  EXPECT_GE(testing::expect_kernels_match_reference(spec, inputs, 1e-4, 1e-4), 2);
}

TEST(Nm24MatMul, MatMulFusedMatMulAndGemmMatchTheReference) {
  std::mt19937 rng(27);
  auto b = [&](int64_t n, int64_t k, bool trans_b) { return as_b(random_2_4(n, k, rng, 2), n, k, trans_b); };
  expect_nm24_kernels("MatMul M=1", OpSpec{"MatMul"}, {testing::random_f32({1, 70}, rng), b(33, 70, false)});
  expect_nm24_kernels("MatMul vector A", OpSpec{"MatMul"}, {testing::random_f32({71}, rng), b(5, 71, false)});
  expect_nm24_kernels("MatMul batched A, M=4", OpSpec{"MatMul"},
                      {testing::random_f32({2, 2, 64}, rng), b(90, 64, false)});
  for (const char* act : {"", "Relu", "Gelu"}) {
    OpSpec spec{"FusedMatMul", 1, {}, 1, "fastserve"};
    if (*act != '\0') spec.attrs.push_back(attr_string("activation", act));
    expect_nm24_kernels(
        std::string("FusedMatMul ") + act, spec,
        {testing::random_f32({3, 42}, rng), b(37, 42, false), testing::random_f32({37}, rng)});
  }
  expect_nm24_kernels(
      "Gemm transB, bias row, alpha, beta",
      OpSpec{"Gemm", 17, {attr_int("transB", 1), attr_float("alpha", 0.5f), attr_float("beta", 2.f)}},
      {testing::random_f32({2, 65}, rng), b(20, 65, true), testing::random_f32({1, 20}, rng)});
  expect_nm24_kernels("Gemm M=1, no C", OpSpec{"Gemm", 17, {}},
                      {testing::random_f32({1, 100}, rng), b(12, 100, false)});
  expect_nm24_kernels("Gemm M=3, scalar C", OpSpec{"Gemm", 17, {attr_int("transB", 1)}},
                      {testing::random_f32({3, 30}, rng), b(49, 30, true), testing::random_f32({}, rng)});
}

// A Gemm whose batch is unknown at compile: the 2:4 kernel is chosen and
// runs M = 1 .. nm24_max_rows; larger M goes to the dense fallback; all
// match the product.
TEST(Nm24MatMul, DynamicBatchGemmRunsTwoFourAndFallsBackToDense) {
  if (no_nm24_descriptor()) return;
  std::mt19937 rng(28);
  const int64_t n = 50, k = 77;
  const std::vector<float> wt = random_2_4(n, k, rng, 2);
  const Tensor bias = testing::random_f32({n}, rng);
  auto model = std::make_shared<Model>();
  model->opsets[""] = 17;
  Graph& g = model->graph;
  Value a;
  a.name = "a";
  a.dtype = DType::kF32;
  a.shape_known = true;
  a.shape = Shape{kUnknownDim, k};
  const ValueId a_id = g.add_value(std::move(a));
  g.inputs.push_back(a_id);
  Value bv;
  bv.name = "b";
  bv.dtype = DType::kF32;
  bv.shape_known = true;
  bv.initializer = as_b(wt, n, k, true);
  bv.shape = bv.initializer.shape();
  const ValueId b_id = g.add_value(std::move(bv));
  Value cv;
  cv.name = "c";
  cv.dtype = DType::kF32;
  cv.shape_known = true;
  cv.initializer = bias;
  cv.shape = bias.shape();
  const ValueId c_id = g.add_value(std::move(cv));
  Value y;
  y.name = "y";
  const ValueId y_id = g.add_value(std::move(y));
  g.outputs.push_back(y_id);
  Node node;
  node.name = "fc";
  node.op_type = "Gemm";
  node.attributes = {attr_int("transB", 1), attr_float("alpha", 0.5f)};
  node.inputs = {a_id, b_id, c_id};
  node.outputs = {y_id};
  g.nodes.push_back(std::move(node));
  g.reindex();
  SessionOptions opts;
  opts.num_threads = 2;
  Result<std::unique_ptr<Session>> s = Session::create(model, opts);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  bool chose = false;
  for (const KernelChoice& kc : (*s)->kernel_choices())
    chose = chose || kc.kernel_name.find("_2_4__") != std::string::npos;
  EXPECT_TRUE(chose) << "a dynamic-batch Gemm on a 2:4 weight should compile to the 2:4 kernel";
  const int64_t max_rows = nm24_max_rows(host_isa());
  for (int64_t m : {int64_t{1}, max_rows, max_rows + 1, 2 * max_rows + 3}) {
    SCOPED_TRACE("M " + std::to_string(m));
    const Tensor x = testing::random_f32({m, k}, rng);
    const std::vector<NamedTensor> feeds = {{"a", x}};
    Result<std::vector<NamedTensor>> out = (*s)->run(feeds);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const Tensor& got = (*out)[0].tensor;
    ASSERT_EQ(got.shape(), (Shape{m, n}));
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t f = 0; f < n; ++f) {
        double want = bias.data<float>()[f];
        for (int64_t i = 0; i < k; ++i) {
          want += 0.5 * static_cast<double>(wt[static_cast<size_t>(f * k + i)]) * x.data<float>()[r * k + i];
        }
        ASSERT_NEAR(got.data<float>()[r * n + f], want, 1e-4 * (1 + std::fabs(want)))
            << "r " << r << " f " << f;
      }
    }
  }
}

// The registry's pick for a node with input shape x and constant weight w.
std::string chosen(const char* op, const std::vector<Attribute>& attrs, Shape x, const Tensor& w, Isa isa) {
  std::vector<TensorInfo> ins = {TensorInfo::with_shape(DType::kF32, std::move(x)), TensorInfo::of(w)};
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView view("n", op, "", 17, &attrs, ins, outs);
  EXPECT_TRUE(find_op_schema(op, "")->infer(view, outs).ok());
  auto k = KernelRegistry::global().select(view, Device::kCpu, isa);
  EXPECT_TRUE(k.ok()) << k.status().to_string();
  return k.ok() ? (*k)->name : "";
}

TEST(Nm24Choice, TwoFourAtSmallMDenseOtherwiseCsrWhenSparser) {
  if (no_nm24_descriptor()) return;
  const Isa isa = host_isa();
  const std::string tag = isa >= Isa::kAvx512 ? "avx512" : "avx2";
  std::mt19937 rng(29);
  const int64_t n = 64, k = 1568;  // the Fashion-MNIST CNN's fc
  std::vector<float> wt = random_2_4(n, k, rng, 2);
  const std::vector<Attribute> tb = {attr_int("transB", 1)};
  // At each ISA's break-even and one row above it.
  for (Isa at : {Isa::kAvx2, isa}) {
    const std::string t = at >= Isa::kAvx512 ? "avx512" : "avx2";
    const int64_t max_rows = nm24_max_rows(at);
    SCOPED_TRACE(t + " break-even M " + std::to_string(max_rows));
    EXPECT_EQ(chosen("Gemm", tb, {1, k}, as_b(wt, n, k, true), at), "gemm_f32_2_4__" + t);
    EXPECT_EQ(chosen("Gemm", tb, {max_rows, k}, as_b(wt, n, k, true), at), "gemm_f32_2_4__" + t);
    EXPECT_EQ(chosen("Gemm", tb, {max_rows + 1, k}, as_b(wt, n, k, true), at), "gemm_f32__" + t)
        << "above the break-even M the dense GEMM stays";
    EXPECT_EQ(chosen("MatMul", {}, {1, 1, k}, as_b(wt, n, k, false), at), "matmul_f32_2_4__" + t);
    EXPECT_EQ(chosen("MatMul", {}, {1, max_rows + 1, k}, as_b(wt, n, k, false), at), "matmul_f32__" + t);
  }
  // The portable 2:4 kernel never won: no descriptor, the dense GEMM stays.
  EXPECT_EQ(chosen("MatMul", {}, {1, k}, as_b(wt, n, k, false), Isa::kScalar), "matmul_f32__portable");
  // One group with 3 nonzeros: not 2:4, so dense (50% zeros is far below CSR's 90%).
  for (int64_t i = 400; i < 404; ++i) {
    if (wt[static_cast<size_t>(9 * k + i)] == 0.f) {
      wt[static_cast<size_t>(9 * k + i)] = 0.5f;
      break;
    }
  }
  EXPECT_EQ(chosen("Gemm", tb, {1, k}, as_b(wt, n, k, true), isa), "gemm_f32__" + tag);
  // 2:4 and at least 90% zeros: the CSR kernel, which wins there.
  std::vector<float> few(static_cast<size_t>(n * k), 0.f);  // one nonzero per feature: 2:4 and ~100% zeros
  for (int64_t f = 0; f < n; ++f) few[static_cast<size_t>(f * k + f)] = 1.f;
  EXPECT_EQ(chosen("Gemm", tb, {1, k}, as_b(few, n, k, true), isa), "gemm_f32_sparse__" + tag);
}

}  // namespace
}  // namespace fastserve
