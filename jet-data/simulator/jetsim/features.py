"""The 16 high-level features of OpenML 42468.

The `_mmdt` features are computed on the mMDT-groomed jet; j_zlogz and j_multiplicity, whose names
carry no `_mmdt`, on the whole (ungroomed) anti-kT jet, as in the data set.
"""
import awkward as ak
import fastjet
import numpy as np

from .settings import JET_R, SOFTDROP

# (func, beta, alpha) of fjcontrib's EnergyCorrelator classes, as named by scikit-hep fastjet,
# for features 1..13 (after j_zlogz, before j_mass_mmdt).
CORRELATORS = [
    ("c1", 0.0, 0.0), ("c1", 1.0, 0.0), ("c1", 2.0, 0.0),          # EnergyCorrelatorC1
    ("c2", 1.0, 0.0), ("c2", 2.0, 0.0),                            # EnergyCorrelatorC2
    ("d2", 1.0, 0.0), ("d2", 2.0, 0.0),                            # EnergyCorrelatorD2
    ("generalizedd2", 1.0, 1.0), ("generalizedd2", 2.0, 1.0),      # EnergyCorrelatorGeneralizedD2
    ("m2", 1.0, 0.0), ("m2", 2.0, 0.0),                            # EnergyCorrelatorM2
    ("n2", 1.0, 0.0), ("n2", 2.0, 0.0),                            # EnergyCorrelatorN2
]


def _vectors(arrays):
    """Jagged Momentum4D array from a list of [m, 4] (px, py, pz, E) arrays."""
    flat = np.concatenate(arrays)
    fields = {"px": flat[:, 0], "py": flat[:, 1], "pz": flat[:, 2], "E": flat[:, 3]}
    return ak.unflatten(ak.zip(fields, with_name="Momentum4D"), [len(a) for a in arrays])


def _cambridge(vectors):
    return fastjet.ClusterSequence(vectors, fastjet.JetDefinition(fastjet.cambridge_algorithm, JET_R))


def _zlogz(jet):
    """Sum of z ln z over the constituents, z = pT_i / pT_jet."""
    z = np.hypot(jet[:, 0], jet[:, 1]) / np.hypot(jet[:, 0].sum(), jet[:, 1].sum())
    return float(np.sum(z * np.log(z)))


def features(jets):
    """float64 [len(jets), 16] features for a list of jet constituent arrays."""
    # C/A reclustering of each jet's constituents, then soft drop (beta = 0: mMDT).
    groomed = _cambridge(_vectors(jets)).exclusive_jets_softdrop_grooming(
        njets=1, beta=SOFTDROP["beta"], symmetry_cut=SOFTDROP["z_cut"], R0=SOFTDROP["R0"])
    cons = groomed.constituents
    mass = np.asarray(groomed.msoftdrop, dtype=np.float64)
    multiplicity = np.array([len(j) for j in jets], dtype=np.float64)
    zlogz = np.array([_zlogz(j) for j in jets], dtype=np.float64)

    # The groomed constituents as one C/A jet each, for the energy correlators.
    regroup = _cambridge(ak.zip({k: cons[k] for k in ("px", "py", "pz", "E")}, with_name="Momentum4D"))
    columns = [zlogz]
    for func, beta, alpha in CORRELATORS:
        values = regroup.exclusive_jets_energy_correlator(njets=1, func=func, beta=beta, alpha=alpha)
        columns.append(np.asarray(values, dtype=np.float64))
    columns += [mass, multiplicity]
    out = np.stack(columns, axis=1)
    if out.shape != (len(jets), 16):
        raise RuntimeError(f"feature array has shape {out.shape}, expected ({len(jets)}, 16)")
    return out
