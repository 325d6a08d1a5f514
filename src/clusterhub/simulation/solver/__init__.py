"""Solver core: enthalpy heat conduction with solidification on a voxel grid (NumPy and Numba)."""

from .materials import FsCurve, Material, MaterialError, load_library, material_from_dict
from .model import Boundary, Probe, Problem, RunResult, Solver

__all__ = [
    "Boundary",
    "FsCurve",
    "Material",
    "MaterialError",
    "Probe",
    "Problem",
    "RunResult",
    "Solver",
    "load_library",
    "material_from_dict",
]
