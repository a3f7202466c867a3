"""Peak memory of cardtool on the largest inputs issue 17 names (figures for its note).

    python -m bench.peak_memory images            # read --images, card images at the limits
    python -m bench.peak_memory trace-check DIR [--jobs 2]

Each command runs in a child process. Two figures per run: the peak of the sum of the
resident set sizes of the whole process tree (sampled from /proc every 20 ms, so a spike
shorter than that can be missed) and the largest single process's peak RSS (the kernel's
``ru_maxrss`` of the waited-for children, exact). Linux only.

``images`` reads virtual cards whose images are as large as ``cardtool/images.py`` allows
for each (its ImageSpec limits: pixel size, the widest mode, and the stored size where the
specification bounds it): a My Number card's name, address and security code as 2048 x 1024
LA PNGs (decoded at 4 bytes a pixel, as RGBA) and its photo a 640 x 800 RGB JPEG 2000, all
within the 32 KB the card face record may hold; a first-generation residence card's front
image as a 2048 x 2048 G4 TIFF and its photo a 640 x 800 JPEG 2000 of at most 3000 bytes; a
second-generation card's name and address as 2048 x 1024 G4 TIFFs of at most 2500 bytes.
Synthetic images only. For comparison, each read is also measured with the virtual card's
own (small) images. The images are drawn by this process, not by the measured one.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# --- the process tree's memory -----------------------------------------------------------

def _children_map() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kb(root: int) -> int:
    tree = _children_map()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss_kb(pid)
        todo.extend(tree.get(pid, []))
    return total


def measure(argv: list[str], *, stdin: str = "", env: dict[str, str] | None = None
            ) -> dict[str, float]:
    """Run ``argv``; its exit code, wall time, peak tree RSS (MB) and largest process (MB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate(stdin)
    done.set()
    sampler.join()
    wall = time.perf_counter() - started
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if err.strip():
        print("    stderr: " + err.strip().splitlines()[-1][:200])
    return {"exit": proc.returncode, "wall_s": wall, "tree_peak_mb": peak / 1024,
            # ru_maxrss of all waited-for children: a new maximum only if this one is larger
            "largest_process_mb": largest / 1024 if largest > before else float("nan")}


# --- card images at the limits -----------------------------------------------------------

def _largest_images() -> dict[str, bytes]:
    from PIL import Image, ImageDraw

    from cardtool import images

    def drawn(mode: str, size: tuple[int, int], text: str, step: int = 120) -> Image.Image:
        img = Image.new(mode, size, "white" if mode != "1" else 1)
        draw = ImageDraw.Draw(img)
        for y in range(0, size[1], step):
            draw.text((40, y + 20), f"{text} TEST {y}", fill=0 if mode == "1" else "black")
        return img

    def save(img: Image.Image, fmt: str, **options: object) -> bytes:
        out = io.BytesIO()
        img.save(out, fmt, **options)
        return out.getvalue()

    def photo(limit: int | None) -> bytes:
        spec = images.RESIDENCE_PHOTO
        img = Image.new("RGB", (spec.max_width, spec.max_height), (210, 220, 230))
        ImageDraw.Draw(img).ellipse((160, 120, 480, 560), fill=(200, 160, 130))
        for rate in (40, 200, 400, 800, 1600, 3200):
            data = save(img, "JPEG2000", quality_mode="rates", quality_layers=[rate],
                        irreversible=True)
            if limit is None or len(data) <= limit:
                return data
        raise SystemExit("cannot make a photo small enough")

    text = images.MYNUMBER_NAME
    # The card face EF holds every image behind 16-bit offsets: 64 KB in all, so the text
    # images carry one line, in LA (Pillow decodes it to 4 bytes a pixel, as RGBA).
    rgba_png = save(drawn("LA", (text.max_width, text.max_height), "NAME", 2048), "PNG",
                    optimize=True)
    front = images.RESIDENCE_FRONT
    front_tiff = save(drawn("1", (front.max_width, front.max_height), "FRONT"), "TIFF",
                      compression="group4")
    line = images.RESIDENCE_NAME
    line_tiff = save(drawn("1", (line.max_width, line.max_height), "NAME"), "TIFF",
                     compression="group4")
    made = {"mynumber_text": rgba_png, "mynumber_photo": photo(9_000),
            "residence_front": front_tiff, "residence_photo": photo(images.RESIDENCE_PHOTO
                                                                   .max_stored_bytes),
            "residence_line": line_tiff}
    assert front.max_stored_bytes is not None and len(front_tiff) <= front.max_stored_bytes
    assert line.max_stored_bytes is not None and len(line_tiff) <= line.max_stored_bytes
    return made


def run_images_child(kind: str, out: str, images_dir: str | None) -> None:
    """In the measured child: make the virtual card's images the largest legal ones (made by
    the parent, so drawing them is not measured), then run `cardtool read --images` as a
    user would. Without ``images_dir``: the virtual card's own (small) images."""
    from cardtool.cli import main

    args = {"mynumber": ["read", "--virtual", "mynumber", "--pin-stdin"],
            "residence": ["read", "--virtual", "residence"],
            "residence2": ["read", "--virtual", "residence2"]}[kind]
    if images_dir is None:
        main(["--lang", "en", *args, "--images", out])
        return
    made = {p.stem: p.read_bytes() for p in Path(images_dir).iterdir()}
    import cardtool.virtual.mynumber as mynumber
    import cardtool.virtual.residence as residence

    mynumber.text_png = lambda *a, **k: made["mynumber_text"]  # type: ignore[assignment]
    mynumber.photo_jp2 = lambda *a, **k: made["mynumber_photo"]  # type: ignore[assignment]
    residence.front_image = lambda *a, **k: made["residence_front"]  # type: ignore[assignment]
    residence.photo = lambda *a, **k: made["residence_photo"]  # type: ignore[assignment]
    residence.text_image = lambda *a, **k: made["residence_line"]  # type: ignore[assignment]
    main(["--lang", "en", *args, "--images", out])


def bench_images() -> None:
    from cardtool.era import collation_number_b
    from cardtool.virtual.persona import load_persona

    persona = load_persona(None, "mynumber")
    face = collation_number_b(persona.birth_date, persona.card_expiry,
                              persona.security_code or "")
    made = _largest_images()
    print("largest legal images (bytes as stored): "
          + ", ".join(f"{k} {len(v):,}" for k, v in made.items()))
    with tempfile.TemporaryDirectory() as images_dir:
        for name, data in made.items():
            (Path(images_dir) / f"{name}.bin").write_bytes(data)
        for kind, stdin, number in (("mynumber", face + "\n", None),
                                    ("residence", "", "AB12345678CD"),
                                    ("residence2", "", "AB98765432CD")):
            for label, extra in (("default images", []), ("largest legal images",
                                                          ["--images-from", images_dir])):
                with tempfile.TemporaryDirectory() as out:
                    argv = [sys.executable, "-m", "bench.peak_memory", "_images-child", kind,
                            out, *extra]
                    env = {"CARDTOOL_CARD_NUMBER": number} if number else {}
                    result = measure(argv, stdin=stdin, env=env)
                    written = len(list(Path(out).iterdir()))
                print(f"read --virtual {kind} --images DIR, {label}: exit {result['exit']}, "
                      f"tree peak {result['tree_peak_mb']:.1f} MB, {result['wall_s']:.1f} s, "
                      f"{written} PNG written")


def bench_trace_check(corpus: Path, jobs: int) -> None:
    files = [p for p in corpus.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"corpus {corpus}: {len(files):,} files, {size / 1e9:.2f} GB")
    argv = [sys.executable, "-m", "cardtool", "trace", "check", str(corpus), "--jobs",
            str(jobs), "--json"]
    result = measure(argv)
    print(f"trace check --jobs {jobs}: exit {result['exit']}, tree peak "
          f"{result['tree_peak_mb']:.1f} MB, largest process "
          f"{result['largest_process_mb']:.1f} MB, {result['wall_s']:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("images")
    check = sub.add_parser("trace-check")
    check.add_argument("corpus", type=Path)
    check.add_argument("--jobs", type=int, default=2)
    child = sub.add_parser("_images-child")
    child.add_argument("kind")
    child.add_argument("out")
    child.add_argument("--images-from")
    args = parser.parse_args()
    if args.what == "images":
        bench_images()
    elif args.what == "trace-check":
        bench_trace_check(args.corpus, args.jobs)
    else:
        run_images_child(args.kind, args.out, args.images_from)


if __name__ == "__main__":
    main()
