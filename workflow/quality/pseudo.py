"""A machine-free pseudo-translation, for tests and benchmarks only.

Every English word of every prose block becomes Han characters (about ``HAN_PER_WORD``
per word, so sizes match a real translation), while code blocks, inline code, links,
URLs, images, reference definitions, the header and the footer stay byte for byte. The
result has the shape of an LCTT translation without pretending to be one.
"""

from __future__ import annotations

import re

from .blocks import PROSE_KINDS, parse_markdown
from .typography import mask

_WORD_RE = re.compile(r"[A-Za-z]+(?:['’][a-z]+)?")
_KEEP_RE = re.compile(r"[A-Za-z]*(?:[a-z][A-Z]|[A-Z]{2})[A-Za-z]*")
_POOL = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


def _han_for(word: str, salt: int) -> str:
    n = 1 if len(word) <= 3 else 2
    h = sum(map(ord, word.lower()))  # the same word always becomes the same characters
    return "".join(_POOL[(h * (k + 7)) % len(_POOL)] for k in range(n))


def pseudo_translate_block(text: str, salt: int = 0) -> str:
    masked = mask(text)

    def repl(m: re.Match[str]) -> str:
        word = m.group(0)
        if _KEEP_RE.fullmatch(word):
            return word
        return _han_for(word, salt)

    work = _WORD_RE.sub(repl, masked.work)
    work = re.sub(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])", "", work)
    return masked.restore(work)


def pseudo_translate(markdown: str) -> str:
    """The markdown with every prose block's English words replaced by Han characters."""
    doc = parse_markdown(markdown)
    out: list[str] = []
    pos = 0
    for block in doc.blocks:
        if block.kind not in PROSE_KINDS or block.codes:
            continue
        out.append(markdown[pos : block.start])
        out.append(pseudo_translate_block(block.text, block.index))
        pos = block.end
    out.append(markdown[pos:])
    return "".join(out)
