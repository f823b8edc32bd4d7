"""Pythia event loop and jet selection: one selected anti-kT jet (its constituents) per accepted event."""
import awkward as ak
import fastjet
import numpy as np
import pythia8mc

from .settings import JET_PT_MIN, JET_R, MATCH_DR, NEUTRINOS, RESONANCE, pythia_settings

MAX_FAILED = 1000     # consecutive failed pythia.next() calls before giving up
HARD_RECORD = 40      # the hard process sits at the top of the event record


def make_pythia(cls, seed):
    pythia = pythia8mc.Pythia("", False)
    for line in pythia_settings(cls, seed):
        if not pythia.readString(line):
            raise RuntimeError(f"Pythia rejected setting {line!r}")
    if not pythia.init():
        raise RuntimeError(f"Pythia initialisation failed for class {cls}")
    return pythia


def _next_event(pythia):
    for _ in range(MAX_FAILED):
        if pythia.next():
            return pythia.event
    raise RuntimeError(f"{MAX_FAILED} consecutive Pythia events failed")


def _particles(event):
    """(px, py, pz, E) of all final-state particles except neutrinos."""
    rows = [(p.px(), p.py(), p.pz(), p.e()) for p in event
            if p.isFinal() and p.idAbs() not in NEUTRINOS]
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def _resonances(event, pdg):
    """(rapidity, phi) of the last copies of the hard-process resonances with |id| == pdg."""
    dirs = []
    for i in range(1, min(event.size(), HARD_RECORD)):
        p = event[i]
        if p.idAbs() == pdg and p.statusAbs() in (22, 23):
            last = event[p.iBotCopyId()]
            dirs.append((last.y(), last.phi()))
    return dirs


def _rap_phi(px, py, pz, e):
    return 0.5 * np.log((e + pz) / (e - pz)), np.arctan2(py, px)


def _pick(pt, rap, phi, dirs, matched):
    """Index of the chosen jet among one event's jets, or -1."""
    if len(pt) == 0:
        return -1
    if not matched:
        return int(np.argmax(pt))
    ok = np.zeros(len(pt), dtype=bool)
    for y, f in dirs:
        dphi = np.abs((phi - f + np.pi) % (2 * np.pi) - np.pi)
        ok |= (rap - y) ** 2 + dphi ** 2 < MATCH_DR ** 2
    if not ok.any():
        return -1
    return int(np.argmax(np.where(ok, pt, -1.0)))


def _select(batch, dirs, matched):
    """Constituent arrays of the selected jet of each event of a batch (None where none)."""
    counts = [len(b) for b in batch]
    flat = np.concatenate(batch)
    parts = ak.unflatten(ak.zip({"px": flat[:, 0], "py": flat[:, 1], "pz": flat[:, 2],
                                 "E": flat[:, 3]}, with_name="Momentum4D"), counts)
    cs = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, JET_R))
    jets = cs.inclusive_jets(min_pt=JET_PT_MIN)
    index = cs.constituent_index(min_pt=JET_PT_MIN)
    out = []
    for e in range(len(batch)):
        j = jets[e]
        px, py, pz, en = (np.asarray(j[k], dtype=np.float64) for k in ("px", "py", "pz", "E"))
        rap, phi = _rap_phi(px, py, pz, en)
        k = _pick(np.hypot(px, py), rap, phi, dirs[e], matched)
        out.append(None if k < 0 else batch[e][np.asarray(index[e][k], dtype=np.int64)])
    return out


class JetSource:
    """A seeded Pythia instance of one class, handing out the selected jets of its events."""

    def __init__(self, cls, seed):
        self.pythia = make_pythia(cls, seed)
        self.pdg = RESONANCE[cls]
        self.events = 0

    def batch(self, n_events):
        """Constituents ([m, 4] arrays) of the selected jets of the next `n_events` events."""
        batch, dirs = [], []
        for _ in range(n_events):
            event = _next_event(self.pythia)
            batch.append(_particles(event))
            dirs.append(_resonances(event, self.pdg) if self.pdg else [])
        self.events += n_events
        return [c for c in _select(batch, dirs, self.pdg is not None) if c is not None]
