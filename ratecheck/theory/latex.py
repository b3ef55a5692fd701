r"""Plain text with unicode symbols (‖∇F‖ ≤ ε, λ^{1/2}, x̄_t, ε⁻²) as LaTeX that compiles with pdflatex.

Each whitespace-separated word that contains a mathematical symbol is split into a math span (from its
first to its last symbol, widened over brackets and single letters such as the F of ‖∇F‖) set in
``$...$`` with the symbols as commands (``\|``, ``\nabla``, ``\varepsilon``), and text around it, escaped.
Scripts are written ``{}^{...}`` / ``{}_{...}`` (a unicode superscript run, ``^{...}``, ``^[...]``, ``_t``),
so that two scripts in a row never make a "double superscript" error. The output is ASCII.
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["latex_text", "MATH_SYMBOLS"]

#: unicode symbol -> LaTeX math (base LaTeX only: no package needed)
MATH_SYMBOLS = {
    "‖": r"\|", "∇": r"\nabla ", "ε": r"\varepsilon ", "λ": r"\lambda ", "δ": r"\delta ", "Δ": r"\Delta ",
    "σ": r"\sigma ", "Σ": r"\Sigma ", "μ": r"\mu ", "η": r"\eta ", "κ": r"\kappa ", "α": r"\alpha ",
    "β": r"\beta ", "γ": r"\gamma ", "θ": r"\theta ", "Θ": r"\Theta ", "Ω": r"\Omega ", "ρ": r"\rho ",
    "π": r"\pi ", "τ": r"\tau ", "φ": r"\phi ", "ξ": r"\xi ", "ζ": r"\zeta ", "ω": r"\omega ",
    "≤": r"\le ", "≥": r"\ge ", "≈": r"\approx ", "∝": r"\propto ", "∼": r"\sim ", "−": "-", "·": r"\cdot ",
    "×": r"\times ", "±": r"\pm ", "√": r"\surd ", "∞": r"\infty ", "→": r"\to ", "∈": r"\in ",
    "⊂": r"\subset ", "∑": r"\sum ", "∏": r"\prod ", "∫": r"\int ", "∂": r"\partial ", "≠": r"\ne ",
    "⌈": r"\lceil ", "⌉": r"\rceil ", "⌊": r"\lfloor ", "⌋": r"\rfloor ", "′": "'", "∘": r"\circ ",
}
_SUP = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+"))
_SUB = dict(zip("₀₁₂₃₄₅₆₇₈₉₋₊", "0123456789-+"))
_MACRON = "\u0304"
#: unicode punctuation in running text
_TEXT = {"–": "--", "—": "---", "’": "'", "‘": "`", "“": "``", "”": "''", "…": r"\ldots{}", "\u00a0": "~"}
_TEXT_ESCAPE = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_MATH_ESCAPE = {"\\": r"\backslash ", "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$", "{": r"\{",
                "}": r"\}", "~": r"\sim ", "–": "-", "—": "-"}
_SCRIPT = re.compile(r"\{([^{}]*)\}|\[([^\[\]]*)\]|(-?[0-9.]+(?:/[0-9.]+)?|[A-Za-z0-9])")


def _fallback(c: str) -> str:
    """An ASCII stand-in for a character no table knows (its decomposition, or '?')."""
    ascii_ = unicodedata.normalize("NFKD", c).encode("ascii", "ignore").decode()
    return ascii_ or "?"


def _is_math(word: str, i: int) -> bool:
    c = word[i]
    return (c in MATH_SYMBOLS or c in _SUP or c in _SUB or c == _MACRON
            or (i + 1 < len(word) and word[i + 1] == _MACRON))


def _text(s: str) -> str:
    out = []
    for c in s:
        if c in _TEXT_ESCAPE:
            out.append(_TEXT_ESCAPE[c])
        elif c in _TEXT:
            out.append(_TEXT[c])
        elif ord(c) < 128:
            out.append(c)
        else:
            out.append(_fallback(c))
    return "".join(out)


def _math(s: str) -> str:
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if i + 1 < len(s) and s[i + 1] == _MACRON:
            out.append(r"\bar{" + _math(c) + "}")
            i += 2
            continue
        if c in _SUP or c in _SUB:
            table, mark = (_SUP, "^") if c in _SUP else (_SUB, "_")
            j = i
            while j < len(s) and s[j] in table:
                j += 1
            out.append("{}" + mark + "{" + "".join(table[x] for x in s[i:j]) + "}")
            i = j
            continue
        if c in "^_":
            m = _SCRIPT.match(s, i + 1)
            if m:
                braced, bracketed, plain = m.groups()
                inner = _math(braced) if braced is not None else (
                    "[" + _math(bracketed) + "]" if bracketed is not None else _math(plain))
                out.append("{}" + c + "{" + inner + "}")
                i = m.end()
                continue
            out.append(r"\hat{}" if c == "^" else r"\_")
            i += 1
            continue
        if c in MATH_SYMBOLS:
            out.append(MATH_SYMBOLS[c])
        elif c in _MATH_ESCAPE:
            out.append(_MATH_ESCAPE[c])
        elif ord(c) < 128:
            out.append(c)
        else:
            out.append(_fallback(c))
        i += 1
    return "".join(out)


_MATHISH = set("()[]{}0123456789+-*/=")


def _single_letter(w: str, i: int) -> bool:
    """An ASCII letter with no letter on either side (a variable, not part of a word)."""
    def letter(j):
        return 0 <= j < len(w) and w[j].isascii() and w[j].isalpha()
    return letter(i) and not letter(i - 1) and not letter(i + 1)


def _word(w: str) -> str:
    marks = [i for i in range(len(w)) if _is_math(w, i)]
    if not marks:
        return _text(w)
    a, b = marks[0], marks[-1] + 1
    # widen over brackets, digits, operators and single letters around the symbols: (1−β), E‖∇F‖, 1/(μt)
    while a > 0 and (w[a - 1] in _MATHISH or w[a - 1] in "^_" or _single_letter(w, a - 1)):
        a -= 1
    while b < len(w):
        if w[b] in "^_" and _SCRIPT.match(w, b + 1):
            b = _SCRIPT.match(w, b + 1).end()
        elif (w[b] in _MATHISH and not (w[b] == "-" and b + 1 < len(w) and w[b + 1].isalpha())) \
                or _single_letter(w, b):
            b += 1
        else:
            break
    return _text(w[:a]) + "$" + _math(w[a:b]) + "$" + _text(w[b:])


def latex_text(s: str) -> str:
    """``s`` as LaTeX: symbols in math mode, specials escaped, ASCII only."""
    return "".join(_word(part) if not part.isspace() else part for part in re.split(r"(\s+)", str(s)))
