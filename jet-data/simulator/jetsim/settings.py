"""The physics setup: classes, Pythia settings per class, jet and grooming parameters, features."""
import hashlib

# Class order of the one-hot labels (the hls4ml tutorial order: t before w).
CLASSES = ["g", "q", "t", "w", "z"]

# Feature order of OpenML 42468 (hls4ml_lhc_jets_hlf).
FEATURES = [
    "j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt",
    "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity",
]

COMMON = [
    "Beams:idA = 2212",
    "Beams:idB = 2212",
    "Beams:eCM = 13000.",
    "PhaseSpace:pTHatMin = 1000.",
    "Print:quiet = on",
    "Next:numberCount = 0",
]

# Hadronic decays only for W and Z (also the W of t -> W b).
W_TO_QUARKS = ["24:onMode = off", "24:onIfAny = 1 2 3 4 5"]
Z_TO_QUARKS = ["23:onMode = off", "23:onIfAny = 1 2 3 4 5"]

PROCESSES = {
    "g": ["HardQCD:gg2gg = on", "HardQCD:qqbar2gg = on"],
    "q": ["HardQCD:qqbar2qqbarNew = on", "HardQCD:qq2qq = on"],
    "t": ["Top:gg2ttbar = on", "Top:qqbar2ttbar = on"] + W_TO_QUARKS,
    "w": ["WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on"] + W_TO_QUARKS,
    "z": ["WeakBosonAndParton:qqbar2gmZg = on", "WeakBosonAndParton:qg2gmZq = on",
          "WeakZ0:gmZmode = 2"] + Z_TO_QUARKS,
}

# |PDG id| of the resonance a W/Z/t jet is matched to; q/g take the leading jet.
RESONANCE = {"g": None, "q": None, "t": 6, "w": 24, "z": 23}

JET_R = 0.8            # anti-kT radius
JET_PT_MIN = 200.0     # GeV
MATCH_DR = 0.6         # jet-resonance distance in (rapidity, phi)
NEUTRINOS = (12, 14, 16)
SOFTDROP = {"beta": 0.0, "z_cut": 0.1, "R0": JET_R}  # mMDT on the C/A reclustered jet

SEED_MAX = 900_000_000  # Pythia's Random:seed accepts 0..900000000; 0 would mean "from the clock"


def pythia_settings(cls, seed):
    """All settings strings for one chunk of class `cls` with Pythia seed `seed`."""
    return COMMON + PROCESSES[cls] + ["Random:setSeed = on", f"Random:seed = {seed}"]


def chunk_seed(master, cls, chunk):
    """Pythia seed of chunk `chunk` of class `cls`: a fixed hash, in 1..SEED_MAX."""
    digest = hashlib.sha256(f"jetsim/{master}/{cls}/{chunk}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % SEED_MAX + 1
