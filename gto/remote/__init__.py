"""`-r URL`: repositories that are not cloned, read through a small cache of gto's own.

`urls` tells a URL from a path; `credentials` finds what a server asks for and holds
the one redactor every message goes through; `cache` is the folder (ours alone:
marker, owner, lock) and its refs; `lock` serialises the users of one cache, on any
OS; `transport` fetches and pushes within timeouts and words every failure;
`source` is a `Remote`, the object source a cache's store asks for what it lacks.
dulwich stays in gto.git: this package decides, gto.git moves the bytes.
"""
