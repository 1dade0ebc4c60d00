//! Mesh geometry for feature v5: area, volume, centroid, inertia, principal axes, welding,
//! edge topology, components, genus and the D2 shape distribution.
