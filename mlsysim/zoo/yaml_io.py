"""The one YAML reader of mlsysim: strict, bounded, and safe on hostile files.

Every YAML file the package reads (Zoo data, the source catalog, the manifest,
the freshness policy, the derived lock, plausibility rules, appendix tables,
plan files) goes through :func:`read_yaml`, which

- refuses what is not a regular file (a FIFO is never opened, so it cannot hang),
  a symlink loop, and a file over :data:`MAX_YAML_BYTES`;
- with ``root`` given (Zoo data), refuses a file reached through a symlink that
  leaves ``root``, without reading it (its contents never reach a message);
- refuses bytes that are not UTF-8 text, naming the byte offset;
- counts the nodes of the document with every alias expanded, so a small
  "billion laughs" file fails at once instead of exhausting memory later;
- rejects a mapping key given twice, and keeps dates as strings.

Every error is a one-line :class:`~mlsysim.errors.ZooError` naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import ZooError, shown

#: Largest YAML file read, in bytes. The largest shipped file is ~25 KB; 2 MiB leaves
#: ~80x headroom while keeping a parse (and any error echo) fast and small.
MAX_YAML_BYTES = 2 * 1024 * 1024
#: Most nodes a document may hold once every alias is expanded (what a consumer walking
#: the data would visit). The largest shipped file has a few thousand; a 1 KB alias bomb
#: expands to ~10^9, which is what used to take 9 GB and minutes downstream.
MAX_YAML_NODES = 200_000

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader that rejects a mapping key given twice and keeps dates as strings."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "a mapping" if isinstance(key_node, yaml.MappingNode) else "a list"
            raise ZooError(f"a mapping key must be a plain value, got {kind} "
                           f"(line {key_node.start_mark.line + 1})",
                           fix="use a name or a number as the key")
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise ZooError(
                f"duplicate key {shown(key)} (line {key_node.start_mark.line + 1}; "
                f"first given on an earlier line of the same mapping)",
                fix="keep one of the two values",
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


def _construct_timestamp_as_string(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    # Dates are validated (and reported) by the Provenance model, as ISO strings.
    return loader.construct_scalar(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_string)

_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
               (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"))


def _refuse(path: Path, problem: str, fix: str) -> ZooError:
    return ZooError(problem, file=str(path), fix=fix)


def _kind_of(mode: int) -> str:
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def _resolve(path: Path, root: Path | None) -> Path:
    """The real path of ``path``; refuses loops, missing files and escapes from ``root``."""
    try:
        real = path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a symlink loop this way
        raise _refuse(path, "is a symlink loop", "point the link at a real file") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise _refuse(path, "is a symlink loop", "point the link at a real file") from None
        if isinstance(exc, FileNotFoundError):
            raise _refuse(path, "does not exist (or is a broken symlink)",
                          "check the path") from None
        raise _refuse(path, f"cannot be read ({exc.strerror or type(exc).__name__})",
                      "check the file's permissions") from None
    if root is not None:
        try:
            real_root = Path(root).resolve(strict=True)
        except (OSError, RuntimeError):
            real_root = Path(os.path.abspath(root))
        if real != real_root and real_root not in real.parents:
            raise _refuse(path, f"is a symlink to a file outside the data folder {root}; "
                                "it was not read",
                          "copy the file into the data folder instead of linking to it")
    return real


def _read_text(path: Path, root: Path | None) -> str:
    real = _resolve(path, root)
    try:
        info = os.stat(real)  # never open before knowing it is a regular file (a FIFO would hang)
    except OSError as exc:
        raise _refuse(path, f"cannot be read ({exc.strerror or type(exc).__name__})",
                      "check the file's permissions") from None
    if not stat.S_ISREG(info.st_mode):
        raise _refuse(path, f"is {_kind_of(info.st_mode)}, not a regular file",
                      "give a regular YAML file")
    if info.st_size > MAX_YAML_BYTES:
        raise _refuse(path, f"is {info.st_size} bytes, over the limit of {MAX_YAML_BYTES} bytes "
                            "(MAX_YAML_BYTES)", "split it into smaller files or remove data")
    try:
        # O_NONBLOCK: should the file have been swapped for a FIFO since the stat, opening
        # does not wait for a writer, and the fstat below refuses it.
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _refuse(path, f"cannot be opened ({exc.strerror or type(exc).__name__})",
                      "check the file's permissions") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse(path, f"is {_kind_of(mode)}, not a regular file", "give a regular YAML file")
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise _refuse(path, f"cannot be read ({exc.strerror or type(exc).__name__})",
                      "check the file's permissions") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > MAX_YAML_BYTES:
        raise _refuse(path, f"is over the limit of {MAX_YAML_BYTES} bytes (MAX_YAML_BYTES)",
                      "split it into smaller files or remove data")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(path, f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at byte offset "
                            f"{exc.start} cannot be decoded",
                      "save the file as UTF-8 (or remove the binary file)") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise _refuse(path, f"is a binary file, not YAML text (NUL byte at byte offset "
                            f"{len(text[:nul].encode('utf-8'))})",
                      "give a YAML text file")
    return text


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes in the document with aliases expanded; stops as soon as ``limit`` is passed.

    Aliases share node objects, so sizes are memoised per node: the count is computed in
    time linear in the file, however large the expansion. A node that contains itself
    (a recursive alias) gives -1.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            if isinstance(node, yaml.MappingNode):
                children = [part for pair in node.value for part in pair]
            else:
                children = node.value
            total = 1 + sum(sizes[id(child)] for child in children)
            sizes[key] = min(total, limit + 1)
            continue
        if key in sizes:
            continue
        if key in on_path:
            return -1  # recursive: infinite once expanded
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        on_path.add(key)
        stack.append((node, True))
        children = ([part for pair in node.value for part in pair]
                    if isinstance(node, yaml.MappingNode) else node.value)
        for child in children:
            if id(child) in on_path:
                return -1
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes.get(id(root), 1)


def _syntax_problem(exc: yaml.YAMLError) -> str:
    """One line from a PyYAML error: what, where, and in which construct."""
    if isinstance(exc, yaml.MarkedYAMLError):
        where = ""
        if exc.problem_mark is not None:
            where = f" at line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}"
        what = exc.problem or "syntax error"
        context = f" ({exc.context})" if exc.context else ""
        return " ".join(f"not valid YAML{where}: {what}{context}".split())
    return " ".join(f"not valid YAML: {exc}".split())


def read_yaml(path: Path | str, *, root: Path | str | None = None) -> Any:
    """Parse one YAML file; every error is a one-line ZooError naming the file.

    ``root``: the folder the file must really live in (Zoo data), so a symlink out
    of it is refused before anything is read.
    """
    path = Path(path)
    text = _read_text(path, Path(root) if root is not None else None)
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, MAX_YAML_NODES)
        if size < 0:
            raise _refuse(path, "holds an alias (*name) inside the node it names, which never "
                                "ends once expanded", "write the data out without the alias")
        if size > MAX_YAML_NODES:
            raise _refuse(path, f"expands to over {MAX_YAML_NODES} values once its aliases "
                                "(*name) are expanded (the limit MAX_YAML_NODES)",
                          "write the data out without nested aliases")
        return loader.construct_document(node)
    except ZooError as exc:
        if exc.file:
            raise
        raise ZooError(exc.problem, file=str(path), fix=exc.fix) from None
    except yaml.YAMLError as exc:
        raise _refuse(path, _syntax_problem(exc), "fix the syntax at the line shown") from None
    except RecursionError:
        raise _refuse(path, "is nested too deeply", "flatten the structure") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. `!!int abc`, 5000-digit ints
        reason = " ".join(str(exc).split())
        if "limit" in reason and "digits" in reason:
            raise _refuse(path, "holds an integer of more than 4300 digits (the most Python "
                                "reads)", "write the number in scientific notation, e.g. "
                                "1.5e12") from None
        if len(reason) > 100:
            reason = reason[:99] + "…"
        raise _refuse(path, f"holds a value that cannot be read ({reason})",
                      "fix the value (a plain number, string, list or mapping)") from None
    finally:
        loader.dispose()
