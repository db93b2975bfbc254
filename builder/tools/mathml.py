"""Typeset the book's math at build time, as MathML.

A Sphinx extension (html.py lists it in every site's conf.py): each
``$...$`` and ``$$...$$`` becomes MathML, which browsers render natively,
so a page with math loads no math renderer at all (MathJax's tex-svg.js
alone weighed 2.1 MB). Displayed equations keep Sphinx's numbers and
anchors (``equation-<label>``), so ``:eqref:`` links still land on them.
A formula latex2mathml cannot read fails the build with the formula.
"""
from docutils import nodes
from latex2mathml.converter import convert
from sphinx.locale import _
from sphinx.util.math import get_node_equation_number


class MathError(ValueError):
    """A formula the converter cannot read."""


def mathml(latex, display):
    try:
        return convert(latex.strip(),
                       display='block' if display else 'inline')
    except Exception as error:  # the converter raises bare exceptions
        raise MathError(f'cannot typeset ${latex}$: {error}') from error


def visit_inline(self, node):
    self.body.append(self.starttag(node, 'span', '', CLASS='math'))
    self.body.append(mathml(node.astext(), display=False) + '</span>')
    raise nodes.SkipNode


def visit_block(self, node):
    self.body.append(self.starttag(node, 'div', CLASS='math'))
    if node['number']:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _('Permalink to this equation'))
        self.body.append('</span>')
    # Equations separated by a blank line are typeset one below the other
    for part in node.astext().split('\n\n'):
        if part.strip():
            self.body.append(mathml(part, display=True))
    self.body.append('</div>\n')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer('mathml', (visit_inline, None),
                               (visit_block, None))
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
