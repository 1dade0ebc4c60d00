# Generates ezdxf_gen_*.dxf and prints ezdxf 1.4.5's bbox.extents(modelspace) for each (used in tests/dxf_reader.rs).
import ezdxf, math
from ezdxf import bbox
cases = {}
def mk(name, fn, ver="R2000"):
    doc = ezdxf.new(ver)
    msp = doc.modelspace()
    fn(doc, msp)
    doc.saveas(f"ezdxf_gen_{name}.dxf")
    b = bbox.extents(msp)
    print(name, tuple(b.extmin), tuple(b.extmax))
def ocs_insert(doc, msp):
    blk = doc.blocks.new("B", base_point=(1, 2, 0))
    blk.add_circle((3, 0), 2)
    blk.add_arc((0, 5), 1.5, 30, 300)
    blk.add_line((0, 0, 0), (4, 4, 1))
    blk.add_lwpolyline([(0, 0, 0.5), (5, 0, -0.5), (5, 5)], format="xyb")
    msp.add_blockref("B", (10, 5, 2), dxfattribs={"xscale": 2, "yscale": 0.5, "zscale": 3, "rotation": 37, "extrusion": (0.3, -0.4, 0.8)})
    msp.add_blockref("B", (-10, 0, 0), dxfattribs={"xscale": -1, "yscale": 1.5, "rotation": 200, "column_count": 3, "row_count": 2, "column_spacing": 7, "row_spacing": 9})
def nested(doc, msp):
    a = doc.blocks.new("A"); a.add_ellipse((0, 0), (3, 1, 0), 0.4, 0.5, 4.0)
    b = doc.blocks.new("B", base_point=(2, 2)); b.add_blockref("A", (5, 0), dxfattribs={"rotation": 45, "xscale": 2})
    b.add_circle((0, 0, 0), 1, dxfattribs={"extrusion": (0, 1, 1)})
    msp.add_blockref("B", (0, 0, 1), dxfattribs={"rotation": -30, "extrusion": (0, 0, -1)})
    msp.add_arc((0, 0, 3), 2, 100, 80, dxfattribs={"extrusion": (1, 1, 1)})
    p = msp.add_polyline2d([(0, 0), (3, 0), (3, 3)], dxfattribs={"extrusion": (0, -1, 0), "elevation": (0,0,2)})
    p.vertices[0].dxf.bulge = 0.7
mk("ocs_insert", ocs_insert)
mk("nested", nested)
