"""``kexue words``: new-word discovery, segmentation and domain terms from the command line.

    kexue words discover corpus.txt [more.txt | -] --out lexicon.tsv
    kexue words segment --lexicon lexicon.tsv < text.txt > words.txt
    kexue words contrast domain.txt general.txt --out terms.tsv

Keras is never imported here.
"""

from __future__ import annotations

import argparse
import sys

from kexue.cli_types import integer, real

# WordDiscovery settings exposed as options: (flag, attribute, type, help)
_DISCOVERY_OPTIONS = (
    ("--min-proba", "min_proba", real(0, 1, low_open=True, high_open=True),
     "lowest probability of a strong pair / kept word"),
    ("--min-pmi", "min_pmi", real(), "lowest PMI (nats) of a strong pair"),
    ("--split-margin", "split_margin", real(0),
     "nats per extra character a word must gain over its split"),
    ("--max-length", "max_length", integer(1),
     "longest word (characters; numbers and Latin runs count as one)"),
    ("--min-count", "min_count", integer(1), "fewest occurrences of a candidate word"),
)


def _add_discovery_options(parser: argparse.ArgumentParser) -> None:
    from kexue.text.discovery import WordDiscovery  # light: NumPy only

    defaults = WordDiscovery()
    for flag, name, kind, text in _DISCOVERY_OPTIONS:
        parser.add_argument(flag, type=kind, default=getattr(defaults, name), help=text)
    parser.add_argument("--progress", action="store_true", help="show progress bars")
    _add_encoding_option(parser)


def _add_encoding_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--encoding", default="utf-8",
                        help="text encoding of the input (default: utf-8; e.g. gbk, gb18030)")


def _check_encoding(args: argparse.Namespace) -> str:
    from kexue.cli import UsageError
    from kexue.text.reading import check_encoding

    try:
        return check_encoding(args.encoding)
    except ValueError as error:
        raise UsageError(f"--encoding: {error}") from None


def _finder(args: argparse.Namespace):
    from kexue.text.discovery import WordDiscovery

    settings = {name: getattr(args, name) for _, name, _, _ in _DISCOVERY_OPTIONS}
    return WordDiscovery(progress=args.progress, **settings)


def discover(args: argparse.Namespace) -> int:
    from kexue.files import prepare_output_file
    from kexue.text.corpus import Lines
    from kexue.text.lexicon import write_lexicon

    encoding = _check_encoding(args)
    prepare_output_file(args.out, inputs=args.corpus)
    with Lines.from_files(args.corpus, encoding=encoding) as corpus:  # removes a spooled stdin
        finder = _finder(args).fit(corpus)
    n = write_lexicon(finder.words, args.out, inputs=args.corpus)
    derived = "" if finder.cohesion_ is None else f" from the corpus's cohesion {finder.cohesion_:.2f}"
    print(f"wrote {n} words to {args.out} (split margin {finder.margin_:.2f} nats per extra "
          f"character{derived})", file=sys.stderr)
    return 0


def segment(args: argparse.Namespace) -> int:
    from kexue.text.lexicon import read_lexicon
    from kexue.text.reading import stdin_lines
    from kexue.text.segmenter import WordSegmenter

    lines = stdin_lines(_check_encoding(args))
    tokenizer = WordSegmenter(read_lexicon(args.lexicon))
    out = sys.stdout
    for line in lines:
        words = [w for w in tokenizer.tokenize(line) if w.strip()]
        out.write(" ".join(words) + "\n")
    out.flush()
    return 0


def contrast(args: argparse.Namespace) -> int:
    from kexue.files import atomic_open, prepare_output_file
    from kexue.text.contrast import count_words, domain_terms
    from kexue.text.corpus import Lines
    from kexue.text.lexicon import read_lexicon, show_word
    from kexue.text.segmenter import WordSegmenter

    encoding = _check_encoding(args)
    inputs = [args.domain, args.general] + ([args.lexicon] if args.lexicon else [])
    prepare_output_file(args.out, inputs=inputs)
    if args.lexicon:
        tokenizer = WordSegmenter(read_lexicon(args.lexicon))
    else:  # learn the words of both corpora together
        with Lines.from_files([args.domain, args.general], encoding=encoding) as both:
            tokenizer = _finder(args).fit(both).segmenter()
    counts = []
    for path in (args.domain, args.general):
        with Lines.from_files([path], encoding=encoding) as corpus:
            counts.append(count_words(tokenizer.tokenize(line) for line in corpus))
    terms = domain_terms(
        counts[0],
        counts[1],
        smoothing=args.smoothing,
        min_count=args.min_term_count,
        filter_fn=lambda w: (
            len(w) >= args.min_term_length
            and not any(c.isspace() for c in w)
            and any(c.isalnum() for c in w)
        ),
    )
    if args.top:
        terms = terms[: args.top]
    with atomic_open(args.out, inputs=inputs) as handle:
        handle.writelines(
            f"{show_word(term.word)}\t{term.score:.4f}\t{term.domain_count}\t{term.general_count}\n"
            for term in terms
        )
    print(f"wrote {len(terms)} terms to {args.out}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    """Add ``kexue words {discover, segment, contrast}``."""
    words = subparsers.add_parser(
        "words",
        help="unsupervised Chinese word discovery, segmentation and domain terms",
    )
    commands = words.add_subparsers(dest="words_command", metavar="SUBCOMMAND")
    words.set_defaults(func=lambda args: (words.print_help(), 2)[1])

    p = commands.add_parser(
        "discover",
        help="learn a lexicon (word<TAB>count, most frequent first) from raw text",
    )
    p.add_argument(
        "corpus",
        nargs="+",
        help="text files (UTF-8 unless --encoding), one sentence or paragraph per line; "
        "'-' reads standard input",
    )
    p.add_argument("--out", required=True, help="lexicon file to write")
    _add_discovery_options(p)
    p.set_defaults(func=discover)

    p = commands.add_parser(
        "segment",
        help="segment standard input with a lexicon; words separated by single spaces",
    )
    p.add_argument(
        "--lexicon",
        required=True,
        help="word<TAB>count file from 'kexue words discover'",
    )
    _add_encoding_option(p)
    p.set_defaults(func=segment)

    p = commands.add_parser(
        "contrast",
        help="domain terms: word<TAB>score<TAB>domain count<TAB>general count",
    )
    p.add_argument("domain", help="domain corpus (UTF-8 text)")
    p.add_argument("general", help="general corpus (UTF-8 text)")
    p.add_argument("--out", required=True, help="terms file to write, best first")
    p.add_argument(
        "--lexicon",
        help="segment with this lexicon instead of learning one from both corpora",
    )
    p.add_argument(
        "--smoothing",
        type=real(0, low_open=True),
        default=1.0,
        help="add-alpha smoothing of both corpora's counts",
    )
    p.add_argument(
        "--min-term-count",
        type=integer(1),
        default=3,
        help="fewest domain occurrences of a term",
    )
    p.add_argument(
        "--min-term-length", type=integer(1), default=2, help="shortest term (characters)"
    )
    p.add_argument(
        "--top", type=integer(0), default=0, help="keep only the best N terms (0: all)"
    )
    _add_discovery_options(p)
    p.set_defaults(func=contrast)
