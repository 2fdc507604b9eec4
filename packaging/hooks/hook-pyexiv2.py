"""PyInstaller hook: pyexiv2 (XMP face regions, ``facedesk.engine.xmp_files``).

pyexiv2 loads its bundled exiv2 with ``ctypes.CDLL(<package>/lib/libexiv2.so|.dylib|exiv2.dll)``
before importing its extension module, so the library must sit at that same place inside the
bundle; PyInstaller's analysis would otherwise put it at the top level (or miss it).
"""

from PyInstaller.utils.hooks import collect_dynamic_libs

# Only exiv2 itself: the extension module (exiv2api) is collected as a module already.
binaries = collect_dynamic_libs(
    "pyexiv2",
    destdir="pyexiv2/lib",
    search_patterns=["libexiv2*.so*", "libexiv2*.dylib", "exiv2.dll"],
)
