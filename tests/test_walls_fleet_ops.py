"""The multi-tenant wall (MultiTenantModel) and the safety wall (SafetyModel): hand-worked
examples, invariants and bad input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlsysim import Hardware, Models
from mlsysim.errors import InputError
from mlsysim.solvers import MultiTenantModel, SafetyModel, ServingModel, registry

H100 = "Hardware.Cloud.H100"
SMALL = "Models.Language.Llama3_2_1B"
MEDIUM = "Models.Language.Llama3_8B"
PROFILES = ("1g.10gb", "1g.20gb", "2g.20gb", "3g.40gb", "4g.40gb", "7g.80gb")

# The worked examples shown on the walls' site pages (walls.yaml `example:` blocks).
MULTI_TENANT_EXAMPLE = dict(models=[MEDIUM, SMALL], hardware=H100, seq_len=2048,
                            profiles=["4g.40gb", "3g.40gb"])
SAFETY_EXAMPLE = dict(model=MEDIUM, hardware=H100, seq_len=1024, output_tokens=256,
                      regeneration_rate=0.05)


def itl(model, **kw):
    return float(ServingModel().solve(model, H100, **kw).itl.m_as("s"))


# -- MultiTenantModel: hand-worked --------------------------------------------------------

def test_mig_shares_and_packing_follow_the_driver_listing():
    # nvidia-smi mig -lgip on an H100 80GB: 3g.40gb = 60 SMs, 39.38 GiB; 4g.40gb = 64 SMs,
    # 39.38 GiB; 7g.80gb (the whole GPU) = 132 SMs, 79.12 GiB, one 4g.40gb per GPU.
    # Shares: 64/132 = 0.48485, 60/132 = 0.45455; memory 39.38/79.12 = 0.49772 each.
    # Packing 4g + 3g: 124 <= 132 SMs, 78.76 <= 79.12 GiB -> fits.
    r = MultiTenantModel().solve(**MULTI_TENANT_EXAMPLE)
    assert r.mode == "spatial (MIG)"
    assert r.compute_shares == pytest.approx((64 / 132, 60 / 132))
    assert r.memory_shares == pytest.approx((39.38 / 79.12, 39.38 / 79.12))
    assert r.partition_fits and r.feasible and r.fits == (True, True)
    # Two 4g.40gb: 128 SMs and 78.76 GiB would fit, but one GPU holds one 4g.40gb.
    two = MultiTenantModel().solve([SMALL, SMALL], H100, 1024, profiles=["4g.40gb"] * 2)
    assert not two.partition_fits and not two.feasible
    assert "more 4g.40gb instances than one GPU holds" in " ".join(two.constraint_trace)
    # Seven 1g.10gb: 7 x 16 = 112 SMs, 7 x 9.75 = 68.25 GiB, 7 instances allowed -> fits.
    seven = MultiTenantModel().solve([SMALL] * 7, H100, 1024, profiles=["1g.10gb"] * 7)
    assert seven.partition_fits and all(seven.fits)


def test_memory_bound_decode_on_a_slice_slows_by_the_memory_share():
    # Batch-1 decode of a 1B model is bandwidth-bound on the whole GPU and on a 3g.40gb
    # slice (45% of the SMs for a 1-token step), so ITL scales with 1 / memory share:
    # 79.12 / 39.38 = 2.00914.
    r = MultiTenantModel().solve([SMALL], H100, 1024, profiles=["3g.40gb"])
    assert r.slowdowns[0] == pytest.approx(79.12 / 39.38, rel=1e-9)
    assert r.itl[0] == pytest.approx(itl(SMALL, seq_len=1024) * 79.12 / 39.38, rel=1e-9)


def test_an_8b_model_does_not_fit_a_10gb_slice_and_binds():
    # Llama 3.1 8B at fp16: 8.03e9 x 2 B = 16.1 GB of weights; a 1g.10gb slice has
    # 80 GB x 9.75 / 79.12 = 9.86 GB. The 1B model (2.5 GB) fits its 1g.20gb slice.
    r = MultiTenantModel().solve([SMALL, MEDIUM], H100, 1024, profiles=["1g.20gb", "1g.10gb"])
    assert r.fits == (True, False)
    assert r.binding_tenant == "Llama 3.1 8B" and not r.feasible
    assert r.partition_fits  # 16 + 26 SMs, 9.75 + 19.62 GiB


def test_time_slicing_round_robin_by_hand():
    # Round robin, one decode step each: ITL_i = s (t_8B + t_1B); with s = 1.5 and the two
    # dedicated ITLs t_a, t_b: ITL = 1.5 (t_a + t_b) for both; TTFT_1 = 1.5 (TTFT_a + t_b).
    # Aggregate = 2 tokens / ITL; dedicated = 1/t_a + 1/t_b on 2 GPUs;
    # gain = (2 / ITL) / ((1/t_a + 1/t_b) / 2).
    t_a, t_b = itl(MEDIUM, seq_len=2048), itl(SMALL, seq_len=2048)
    ttft_a = float(ServingModel().solve(MEDIUM, H100, 2048).ttft.m_as("s"))
    r = MultiTenantModel().solve([MEDIUM, SMALL], H100, 2048, interference_slowdown=1.5)
    shared = 1.5 * (t_a + t_b)
    assert r.mode == "temporal (time-slicing)" and r.profiles == ()
    assert r.itl == pytest.approx((shared, shared))
    assert r.ttft[0] == pytest.approx(1.5 * (ttft_a + t_b))
    assert r.aggregate_throughput.m_as("token/s") == pytest.approx(2 / shared)
    assert r.throughputs == pytest.approx((1 / shared, 1 / shared))
    assert r.dedicated_throughput.m_as("token/s") == pytest.approx(1 / t_a + 1 / t_b)
    assert r.utilization_gain == pytest.approx((2 / shared) / ((1 / t_a + 1 / t_b) / 2))
    assert r.binding_tenant == "Llama 3.2 1B"  # slowed most: its own step is the shorter
    assert r.gpus_dedicated == 2


def test_time_slicing_refuses_tenants_that_do_not_fit_together():
    # Three Llama 3.1 70B at fp16 need 3 x 141 GB; each alone already exceeds 80 GB.
    r = MultiTenantModel().solve(["Llama3_70B"] * 3, H100, 1024)
    assert not r.partition_fits and not any(r.fits)
    assert "cannot be co-located" in " ".join(r.constraint_trace)


# -- MultiTenantModel: invariants ---------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(profile=st.sampled_from(PROFILES), batch=st.integers(1, 16),
       seq=st.sampled_from([128, 1024, 4096]))
def test_a_slice_is_never_faster_than_the_whole_gpu(profile, batch, seq):
    r = MultiTenantModel().solve([SMALL], H100, seq, profiles=[profile], batch_size=batch)
    assert r.slowdowns[0] >= 1 - 1e-12
    assert 0 < r.compute_shares[0] <= 1 and 0 < r.memory_shares[0] <= 1


@settings(max_examples=20, deadline=None)
@given(s=st.floats(1, 10), n=st.integers(1, 4), batch=st.integers(1, 8))
def test_time_slicing_gain_is_at_most_one_over_the_interference(s, n, batch):
    # gain = n^2 / (s sum t_i sum 1/t_i) <= 1 / s (arithmetic-harmonic mean inequality),
    # with equality for identical tenants.
    same = MultiTenantModel().solve([SMALL] * n, H100, 512, batch_size=batch,
                                    interference_slowdown=s)
    assert same.utilization_gain == pytest.approx(1 / s)
    mixed = MultiTenantModel().solve([SMALL, MEDIUM] * n, H100, 512, batch_size=batch,
                                     interference_slowdown=s)
    assert mixed.utilization_gain <= 1 / s + 1e-12
    assert min(mixed.slowdowns) >= s - 1e-9


# -- MultiTenantModel: bad input ----------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(models="Llama3_8B"), r"models must be a non-empty list of tenant models .*got "
                               r"'Llama3_8B'"),
    (dict(models=[]), r"models must be a non-empty list"),
    (dict(models=[SMALL] * 65), r"models lists 65 tenants; at most 64"),
    (dict(models=[SMALL, SMALL], profiles=["3g.40gb"]),
     r"profiles lists 1 profiles for 2 tenants; give one MIG profile per model"),
    (dict(models=[SMALL], profiles=["5g.50gb"]),
     r"profiles: '5g.50gb' is not a MIG profile the Zoo lists for NVIDIA H100 SXM5 80GB "
     r"\(Hardware.Partitions\); use one of: 1g.10gb, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb, "
     r"7g.80gb"),
    (dict(models=[SMALL], profiles="3g.40gb"), r"profiles must be a list of MIG profile names"),
    (dict(models=[SMALL], interference_slowdown=0.5),
     r"interference_slowdown must be a finite number >= 1 .* got 0.5"),
    (dict(models=[SMALL], interference_slowdown=float("nan")),
     r"interference_slowdown must be a finite number >= 1"),
    (dict(models=[SMALL], profiles=["3g.40gb"], interference_slowdown=2),
     r"interference_slowdown applies to time-slicing \(profiles=None\); got 2 with MIG "
     r"profiles"),
])
def test_multi_tenant_bad_input_names_the_input(kwargs, message):
    arguments = dict(hardware=H100, seq_len=1024) | kwargs
    with pytest.raises(InputError, match=message):
        MultiTenantModel().solve(**arguments)


def test_a_gpu_without_mig_profiles_in_the_zoo_is_refused_with_the_reason():
    with pytest.raises(InputError, match=r"not a MIG profile the Zoo lists for .*use one of: "
                                         r"none"):
        MultiTenantModel().solve([SMALL], "Hardware.Cloud.L4", 1024, profiles=["1g.10gb"])


# -- SafetyModel: hand-worked -------------------------------------------------------------

def test_guard_checks_by_hand():
    # Llama Guard 3 8B has Llama 3.1 8B's architecture, so checking a 1024-token prompt
    # costs exactly Llama 3.1 8B's 1024-token prefill, and the output check its 1280-token
    # prefill (1024 prompt + 256 answer).
    # T_gen = TTFT + 255 ITL; r = 0.2 -> A = 1 / 0.8 = 1.25 attempts;
    # T' = T_in + 1.25 (T_gen + T_out); TTFT' = T_in + TTFT.
    # At 3.6 USD per GPU-hour a GPU-second costs 0.001 USD: cost = 0.001 x T' (batch 1).
    main = ServingModel().solve(MEDIUM, H100, 1024)
    t_in = float(main.ttft.m_as("s"))
    t_out = float(ServingModel().solve(MEDIUM, H100, 1280).ttft.m_as("s"))
    t_gen = t_in + 255 * float(main.itl.m_as("s"))
    r = SafetyModel().solve(MEDIUM, H100, 1024, 256, regeneration_rate=0.2,
                            price_per_hour="3.6 USD/hour")
    latency = t_in + 1.25 * (t_gen + t_out)
    assert r.guard == "Llama Guard 3 8B"
    assert r.input_check_time.m_as("s") == pytest.approx(t_in)
    assert r.output_check_time.m_as("s") == pytest.approx(t_out)
    assert r.expected_attempts == pytest.approx(1.25)
    assert r.baseline_latency.m_as("s") == pytest.approx(t_gen)
    assert r.latency.m_as("s") == pytest.approx(latency)
    assert r.ttft.m_as("s") == pytest.approx(2 * t_in)  # guard prefill = model prefill
    assert r.ttft_overhead == pytest.approx(1.0)
    assert r.guard_gpu_share == pytest.approx((t_in + 1.25 * t_out) / latency)
    assert r.cost_per_request.m_as("USD") == pytest.approx(0.001 * latency)
    assert r.baseline_cost_per_request.m_as("USD") == pytest.approx(0.001 * t_gen)
    # Added: input t_in, output 1.25 t_out, regeneration 0.25 t_gen (a 256-token answer
    # takes far longer than a prefill), so regeneration dominates.
    assert r.dominant_overhead == "regeneration"


def test_the_default_price_is_the_zoo_rental_price_and_batching_shares_gpu_time():
    # Infrastructure.RentalPrices.H100 = 6.88 USD/h; batch 4 shares each pass by 4.
    r = SafetyModel().solve(MEDIUM, H100, 512, 64, batch_size=4, check_output=False)
    assert r.output_check_time.m_as("s") == 0
    assert r.dominant_overhead == "input check"
    assert r.gpu_time_per_request.m_as("s") == pytest.approx(r.latency.m_as("s") / 4)
    assert r.cost_per_request.m_as("USD") == pytest.approx(
        6.88 / 3600 * r.latency.m_as("s") / 4)
    assert "Infrastructure.RentalPrices.H100" in " ".join(r.constraint_trace)


def test_a_tensor_parallel_model_multiplies_its_gpu_time_not_the_guards():
    # Llama 3.1 70B on 8 GPUs, guard on one: GPU time = 8 T_gen + T_in + T_out (r = 0),
    # baseline 8 T_gen; latency is T_in + T_gen + T_out as on one GPU.
    main = ServingModel().solve("Llama3_70B", H100, 1024, tp_size=8)
    t_gen = float(main.ttft.m_as("s")) + 127 * float(main.itl.m_as("s"))
    t_in = float(ServingModel().solve(MEDIUM, H100, 1024).ttft.m_as("s"))
    t_out = float(ServingModel().solve(MEDIUM, H100, 1152).ttft.m_as("s"))
    r = SafetyModel().solve("Llama3_70B", H100, 1024, 128, tp_size=8)
    assert r.feasible
    assert r.latency.m_as("s") == pytest.approx(t_in + t_gen + t_out)
    assert r.gpu_time_per_request.m_as("s") == pytest.approx(8 * t_gen + t_in + t_out)
    assert r.baseline_gpu_time_per_request.m_as("s") == pytest.approx(8 * t_gen)
    assert r.guard_gpu_share == pytest.approx((t_in + t_out) / (8 * t_gen + t_in + t_out))


# -- SafetyModel: invariants --------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(prompt=st.integers(16, 4096), out=st.integers(1, 1024), rate=st.floats(0, 0.9),
       check_in=st.booleans(), batch=st.integers(1, 8))
def test_checks_only_add_time(prompt, out, rate, check_in, batch):
    r = SafetyModel().solve(MEDIUM, H100, prompt, out, check_input=check_in,
                            regeneration_rate=rate, batch_size=batch)
    assert r.latency >= r.baseline_latency and r.ttft >= r.baseline_ttft
    assert 0 < r.guard_gpu_share < 1
    fewer = SafetyModel().solve(MEDIUM, H100, prompt, out, check_input=check_in,
                                regeneration_rate=rate / 2, batch_size=batch)
    assert fewer.latency <= r.latency


# -- SafetyModel: bad input ---------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    (dict(check_input=False, check_output=False),
     r"check_input and check_output are both False: there is no guard pass to cost"),
    (dict(regeneration_rate=1), r"regeneration_rate must be below 1, got 1"),
    (dict(regeneration_rate=-0.1), r"regeneration_rate must be in \[0, 1\], got -0.1"),
    (dict(output_tokens=0), r"output_tokens must be a whole number >= 1, got 0"),
    (dict(check_input="no"), r"check_input must be True or False"),
    (dict(guard="Models.Vision.ResNet50"), r"ResNet-50 is not a decoder language model"),
    (dict(price_per_hour="3 GB"), r"price_per_hour must be a quantity convertible to "
                                  r"USD/hour"),
])
def test_safety_bad_input_names_the_input(kwargs, message):
    arguments = dict(model=MEDIUM, hardware=H100, seq_len=512, output_tokens=64) | kwargs
    with pytest.raises(InputError, match=message):
        SafetyModel().solve(**arguments)


# -- Zoo data, registry and walls ----------------------------------------------------------

def test_the_zoo_numbers_carry_their_sources():
    assert Hardware.Partitions.H100_7g_80gb_Sms == 132
    assert Hardware.Partitions.H100_1g_10gb_Memory.m_as("GiB") == pytest.approx(9.75)
    assert Hardware.Partitions.H100_1g_10gb_Sms.provenance.id == \
        "aws-awsome-inference-mig-h100-lgip"
    guard = Models.Language.LlamaGuard3_8B
    assert guard.parameters == Models.Language.Llama3_8B.parameters
    assert guard.metadata.provenance.id == "meta-llama-models-sku-list-safety"


def test_registered_and_named_by_their_walls():
    from mlsysim.walls import walls

    assert registry.get("MultiTenantModel").solver is MultiTenantModel
    assert registry.get("SafetyModel").solver is SafetyModel
    by_key = {wall.key: wall for wall in walls()}
    assert by_key["multi_tenant"].solver == "MultiTenantModel"
    assert by_key["safety"].solver == "SafetyModel"


def test_the_wall_examples_run():
    from mlsysim.walls import run_example, walls

    by_key = {wall.key: wall for wall in walls()}
    assert by_key["multi_tenant"].example.inputs == MULTI_TENANT_EXAMPLE
    assert by_key["safety"].example.inputs == SAFETY_EXAMPLE
    tenants = dict((name, shown) for name, shown, _ in
                   run_example(by_key["multi_tenant"]).outputs)
    assert tenants["mode"] == "spatial (MIG)" and tenants["feasible"] == "True"
    safety = run_example(by_key["safety"])
    assert "Infrastructure.RentalPrices.H100" in safety.zoo_paths
    assert "Models.Language.LlamaGuard3_8B" in safety.zoo_paths
    assert SafetyModel().solve(**SAFETY_EXAMPLE).cost_per_request is not None


def test_results_round_trip_through_to_dict():
    import json

    for result in (MultiTenantModel().solve(**MULTI_TENANT_EXAMPLE),
                   SafetyModel().solve(**SAFETY_EXAMPLE)):
        document = json.loads(json.dumps(result.to_dict()))
        assert document["constraint_trace"] == list(result.constraint_trace)
        assert document["feasible"] is True
