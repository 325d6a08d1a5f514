"""Voxel geometry: cell centres, simple shapes and STL parts (binary or ASCII), NumPy only.

A cell belongs to a shape when its centre lies inside it. STL solids are voxelised with a ray
parity test: rays along +x through every (y, z) cell-centre column, intersections with all
triangles collected at once, and a cell is inside when an odd number of hits lies before its
centre. The ray positions are nudged by an irrational fraction of a cell so that they never pass
exactly through a vertex or an edge (which would count a hit twice or not at all).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


class GeometryError(ValueError):
    pass


def centres(shape: tuple[int, int, int], spacing_mm: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell-centre coordinates (mm) as broadcastable 1-D arrays along x, y, z."""
    nx, ny, nz = shape
    x = (np.arange(nx) + 0.5) * spacing_mm
    y = (np.arange(ny) + 0.5) * spacing_mm
    z = (np.arange(nz) + 0.5) * spacing_mm
    return x[:, None, None], y[None, :, None], z[None, None, :]


def box_mask(shape: tuple[int, int, int], spacing_mm: float, lo: list[float], hi: list[float]) -> np.ndarray:
    x, y, z = centres(shape, spacing_mm)
    return (
        (x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1]) & (z >= lo[2]) & (z <= hi[2])
    )


def sphere_mask(shape: tuple[int, int, int], spacing_mm: float, center: list[float], radius: float) -> np.ndarray:
    x, y, z = centres(shape, spacing_mm)
    return (x - center[0]) ** 2 + (y - center[1]) ** 2 + (z - center[2]) ** 2 <= radius**2


def cylinder_mask(
    shape: tuple[int, int, int], spacing_mm: float, start: list[float], end: list[float], radius: float
) -> np.ndarray:
    """Cells within radius of the segment start-end, between its end planes."""
    x, y, z = centres(shape, spacing_mm)
    a = np.asarray(start, float)
    axis = np.asarray(end, float) - a
    length = float(np.linalg.norm(axis))
    if length == 0:
        raise GeometryError("cylinder: start and end coincide")
    u = axis / length
    px, py, pz = x - a[0], y - a[1], z - a[2]
    s = px * u[0] + py * u[1] + pz * u[2]
    d2 = px**2 + py**2 + pz**2 - s**2
    return (s >= 0) & (s <= length) & (d2 <= radius**2)


# ---- STL --------------------------------------------------------------------------------
def read_stl(path: str | Path) -> np.ndarray:
    """Triangles (n, 3, 3) from a binary or ASCII STL file."""
    data = Path(path).read_bytes()
    return parse_stl(data)


def parse_stl(data: bytes) -> np.ndarray:
    if len(data) >= 84:
        (n,) = struct.unpack_from("<I", data, 80)
        if n > 0 and len(data) == 84 + 50 * n:
            rec = np.dtype([("normal", "<f4", 3), ("v", "<f4", (3, 3)), ("attr", "<u2")])
            arr = np.frombuffer(data, dtype=rec, count=n, offset=84)
            return arr["v"].astype(np.float64)
    text = data.decode("ascii", errors="replace")
    if "vertex" not in text:
        raise GeometryError("not an STL file: neither a binary STL of the right size nor ASCII facets")
    verts = []
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0] == "vertex":
            if len(parts) != 4:
                raise GeometryError(f"malformed vertex line: {line.strip()!r}")
            try:
                verts.append([float(p) for p in parts[1:]])
            except ValueError as exc:
                raise GeometryError(f"malformed vertex line: {line.strip()!r}") from exc
    if not verts or len(verts) % 3:
        raise GeometryError(f"ASCII STL holds {len(verts)} vertices, not a multiple of 3")
    return np.asarray(verts, dtype=np.float64).reshape(-1, 3, 3)


def write_stl_ascii(path: str | Path, tris: np.ndarray, name: str = "part") -> None:
    lines = [f"solid {name}"]
    for t in tris:
        nrm = np.cross(t[1] - t[0], t[2] - t[0])
        nn = np.linalg.norm(nrm)
        nrm = nrm / nn if nn > 0 else nrm
        lines.append(f"  facet normal {nrm[0]:.9g} {nrm[1]:.9g} {nrm[2]:.9g}")
        lines.append("    outer loop")
        for v in t:
            lines.append(f"      vertex {v[0]:.9g} {v[1]:.9g} {v[2]:.9g}")
        lines.append("    endloop")
        lines.append("  endfacet")
    lines.append(f"endsolid {name}")
    Path(path).write_text("\n".join(lines) + "\n")


def write_stl_binary(path: str | Path, tris: np.ndarray) -> None:
    rec = np.dtype([("normal", "<f4", 3), ("v", "<f4", (3, 3)), ("attr", "<u2")])
    arr = np.zeros(len(tris), dtype=rec)
    arr["v"] = tris
    nrm = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    nn = np.linalg.norm(nrm, axis=1, keepdims=True)
    arr["normal"] = np.divide(nrm, nn, out=np.zeros_like(nrm), where=nn > 0)
    Path(path).write_bytes(b"clusterhub stl".ljust(80, b" ") + struct.pack("<I", len(tris)) + arr.tobytes())


def voxelize(tris: np.ndarray, shape: tuple[int, int, int], spacing_mm: float, chunk: int = 20000) -> np.ndarray:
    """Inside mask of a closed triangle mesh (coordinates in mm) on the grid."""
    nx, ny, nz = shape
    h = spacing_mm
    # Nudge the rays off any vertex/edge lattice the mesh might sit on.
    ey, ez = 1.0e-6 * h * np.sqrt(2.0), 1.0e-6 * h * np.sqrt(3.0)
    counts = np.zeros((ny, nz, nx + 1), dtype=np.int32)
    for s in range(0, len(tris), chunk):
        t = tris[s : s + chunk]
        y = t[:, :, 1]
        z = t[:, :, 2]
        # column index ranges whose centres can lie inside each triangle's yz bounding box
        j0 = np.clip(np.ceil((y.min(1) - ey) / h - 0.5), 0, ny).astype(np.int64)
        j1 = np.clip(np.floor((y.max(1) - ey) / h - 0.5), -1, ny - 1).astype(np.int64)
        k0 = np.clip(np.ceil((z.min(1) - ez) / h - 0.5), 0, nz).astype(np.int64)
        k1 = np.clip(np.floor((z.max(1) - ez) / h - 0.5), -1, nz - 1).astype(np.int64)
        nj = np.maximum(j1 - j0 + 1, 0)
        nk = np.maximum(k1 - k0 + 1, 0)
        npairs = nj * nk
        total = int(npairs.sum())
        if total == 0:
            continue
        tri = np.repeat(np.arange(len(t)), npairs)
        start = np.repeat(np.cumsum(npairs) - npairs, npairs)
        local = np.arange(total) - start
        nk_r = np.repeat(nk, npairs)
        jj = np.repeat(j0, npairs) + local // np.maximum(nk_r, 1)
        kk = np.repeat(k0, npairs) + local % np.maximum(nk_r, 1)
        py = (jj + 0.5) * h + ey
        pz = (kk + 0.5) * h + ez
        a, b, c = t[tri, 0], t[tri, 1], t[tri, 2]
        # barycentric coordinates of (py, pz) in the triangle's yz projection
        d = (b[:, 1] - a[:, 1]) * (c[:, 2] - a[:, 2]) - (c[:, 1] - a[:, 1]) * (b[:, 2] - a[:, 2])
        ok = d != 0
        dd = np.where(ok, d, 1.0)
        w1 = ((py - a[:, 1]) * (c[:, 2] - a[:, 2]) - (c[:, 1] - a[:, 1]) * (pz - a[:, 2])) / dd
        w2 = ((b[:, 1] - a[:, 1]) * (pz - a[:, 2]) - (py - a[:, 1]) * (b[:, 2] - a[:, 2])) / dd
        w0 = 1.0 - w1 - w2
        inside = ok & (w0 >= 0) & (w1 >= 0) & (w2 >= 0)
        if not inside.any():
            continue
        xh = (w0 * a[:, 0] + w1 * b[:, 0] + w2 * c[:, 0])[inside]
        # first cell whose centre lies beyond the hit
        i = np.clip(np.ceil(xh / h - 0.5), 0, nx).astype(np.int64)
        np.add.at(counts, (jj[inside], kk[inside], i), 1)
    parity = np.cumsum(counts, axis=2)[:, :, :nx] % 2 == 1
    return np.ascontiguousarray(parity.transpose(2, 0, 1))


def box_triangles(lo: list[float], hi: list[float]) -> np.ndarray:
    """A closed, outward-oriented box mesh (12 triangles); handy for tests and examples."""
    x0, y0, z0 = lo
    x1, y1, z1 = hi
    v = np.array(
        [[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0], [x0, y0, z1], [x1, y0, z1], [x1, y1, z1], [x0, y1, z1]],
        dtype=np.float64,
    )
    f = [(0, 2, 1), (0, 3, 2), (4, 5, 6), (4, 6, 7), (0, 1, 5), (0, 5, 4), (2, 3, 7), (2, 7, 6), (1, 2, 6), (1, 6, 5), (0, 4, 7), (0, 7, 3)]
    return v[np.array(f)]


def sphere_triangles(center: list[float], radius: float, n_lat: int = 24, n_lon: int = 48) -> np.ndarray:
    """A closed UV-sphere mesh."""
    c = np.asarray(center, float)
    th = np.linspace(0, np.pi, n_lat + 1)
    ph = np.linspace(0, 2 * np.pi, n_lon + 1)
    P = np.stack(
        [np.sin(th)[:, None] * np.cos(ph)[None, :], np.sin(th)[:, None] * np.sin(ph)[None, :], np.cos(th)[:, None] * np.ones_like(ph)[None, :]],
        axis=-1,
    ) * radius + c
    tris = []
    for i in range(n_lat):
        for j in range(n_lon):
            a, b, cc, d = P[i, j], P[i + 1, j], P[i + 1, j + 1], P[i, j + 1]
            if i != 0:
                tris.append([a, b, d])
            if i != n_lat - 1:
                tris.append([b, cc, d])
    return np.asarray(tris)
