import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitizeMailHtml } from '../../../src/mail/sanitize-html.js';

const LINK_ATTRS = 'rel="noopener noreferrer" target="_blank"';

describe('sanitizeMailHtml: scripts and active content', () => {
  it.each([
    ['<script>alert(1)</script>text', 'text'],
    ['<SCRIPT SRC="https://evil.example/x.js"></SCRIPT>text', 'text'],
    ['<style>@import url(https://evil.example/x.css); p { color: red }</style><p>text</p>', '<p>text</p>'],
    ['<svg onload="alert(1)"><circle r="1"/><text>svg text</text></svg>after', 'after'],
    ['<math><mtext><a href="javascript:alert(1)">m</a></mtext></math>after', 'after'],
    ['<iframe src="https://evil.example/"></iframe>after', 'after'],
    ['<object data="evil.swf"><embed src="evil.swf"></object>after', 'after'],
    ['<base href="https://evil.example/"><p>b</p>', '<p>b</p>'],
    ['<meta http-equiv="refresh" content="0;url=https://evil.example/"><p>m</p>', '<p>m</p>'],
    ['<link rel="stylesheet" href="https://evil.example/x.css"><p>l</p>', '<p>l</p>'],
    ['<form action="https://evil.example/"><input name="pw"><button>Go</button></form>', 'Go'],
    ['<noscript><p title="</noscript><img src=x onerror=alert(1)>"></p></noscript>after', 'after'],
    ['<html><head><title>Title</title></head><body><p>body</p></body></html>', '<p>body</p>'],
    ['<!--[if mso]><p>outlook only</p><![endif]--><p>after</p>', '<p>after</p>'],
  ])('%s', (input, expected) => {
    expect(sanitizeMailHtml(input)).toBe(expected);
  });
});

describe('sanitizeMailHtml: event handlers and page-affecting attributes', () => {
  it('drops every on* attribute', () => {
    expect(sanitizeMailHtml('<img src="x" onerror="alert(1)">')).toBe('<img />');
    expect(sanitizeMailHtml('<p onclick="a()" onmouseover="b()" ONLOAD="c()">p</p>')).toBe('<p>p</p>');
    expect(sanitizeMailHtml('<body onload="alert(1)"><p>p</p></body>')).toBe('<p>p</p>');
  });

  it('drops id, class and name so mail content cannot clobber or restyle the page around it', () => {
    expect(sanitizeMailHtml('<div id="app" class="btn" name="x">d</div>')).toBe('<div>d</div>');
  });
});

describe('sanitizeMailHtml: links', () => {
  it.each([
    ['<a href="javascript:alert(1)">x</a>'],
    ['<a href="JaVaScRiPt:alert(1)">x</a>'],
    ['<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>'],
    ['<a href="&#x6A;avascript&#x3A;alert(1)">x</a>'],
    ['<a href="jav&#x09;ascript:alert(1)">x</a>'],
    ['<a href=" javascript:alert(1)">x</a>'],
    ['<a href="vbscript:msgbox(1)">x</a>'],
    ['<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>'],
    ['<a href="//evil.example/x">x</a>'],
    ['<a href="relative/page.html">x</a>'],
    ['<a href="#section">x</a>'],
    ['<a href="file:///etc/passwd">x</a>'],
  ])('removes the href of %s', (input) => {
    expect(sanitizeMailHtml(input)).toBe(`<a ${LINK_ATTRS}>x</a>`);
  });

  it('keeps http, https and mailto links and opens them without opener or referrer', () => {
    expect(sanitizeMailHtml('<a href="https://example.com/a?b=1&amp;c=2">x</a>')).toBe(
      `<a ${LINK_ATTRS} href="https://example.com/a?b=1&amp;c=2">x</a>`,
    );
    expect(sanitizeMailHtml('<a href="http://example.com/">x</a>')).toBe(`<a ${LINK_ATTRS} href="http://example.com/">x</a>`);
    expect(sanitizeMailHtml('<a href="mailto:sales@example.com">x</a>')).toBe(`<a ${LINK_ATTRS} href="mailto:sales@example.com">x</a>`);
  });

  it('overrides target and rel given by the mail', () => {
    expect(sanitizeMailHtml('<a href="https://example.com/" target="_top" rel="opener">x</a>')).toBe(
      `<a target="_blank" rel="noopener noreferrer" href="https://example.com/">x</a>`,
    );
  });
});

describe('sanitizeMailHtml: images', () => {
  it('keeps cid: images (parts of the same message)', () => {
    expect(sanitizeMailHtml('<img src="cid:logo@example.com" alt="Logo">')).toBe('<img alt="Logo" src="cid:logo@example.com" />');
  });

  it('keeps raster data: images', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    expect(sanitizeMailHtml(`<img src="${png}">`)).toBe(`<img src="${png}" />`);
  });

  it('drops remote sources (tracking pixels) but keeps the element', () => {
    expect(sanitizeMailHtml('<img src="https://track.example/open.gif?u=1" width="1" height="1" alt="">')).toBe(
      '<img width="1" height="1" alt="" />',
    );
    expect(sanitizeMailHtml('<img src="//track.example/p.gif">')).toBe('<img />');
  });

  it('drops SVG and non-image data: sources', () => {
    expect(sanitizeMailHtml('<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+">')).toBe('<img />');
    expect(sanitizeMailHtml('<img src="data:text/html;base64,PHNjcmlwdD4=">')).toBe('<img />');
    expect(sanitizeMailHtml('<img src="javascript:alert(1)">')).toBe('<img />');
  });

  it('drops background attributes, which load remote images too', () => {
    expect(sanitizeMailHtml('<table background="https://track.example/bg.gif"><tr><td background="x.gif">c</td></tr></table>')).toBe(
      '<table><tr><td>c</td></tr></table>',
    );
  });
});

describe('sanitizeMailHtml: inline styles', () => {
  it('keeps basic formatting styles', () => {
    expect(sanitizeMailHtml('<p style="color: #333333; font-weight: bold; text-align: center">p</p>')).toBe(
      '<p style="color:#333333;font-weight:bold;text-align:center">p</p>',
    );
    expect(sanitizeMailHtml('<span style="color: rgb(10, 20, 30); font: 12px/1.5 Arial, sans-serif">s</span>')).toBe(
      '<span style="color:rgb(10, 20, 30);font:12px/1.5 Arial, sans-serif">s</span>',
    );
  });

  it.each([
    ['background: url(https://track.example/x.gif)'],
    ['color: red; background-image: URL ( "https://track.example/x.gif" )'],
    ['width: expression(alert(1))'],
    ['color: red; behavior: url(evil.htc)'],
    ['-moz-binding: url(evil.xml#xss)'],
    ['background: u\\72l(https://track.example/x.gif)'],
    ['background: url/**/(https://track.example/x.gif)'],
    ['color: red; background: &#117;rl(https://track.example/x.gif)'],
  ])('drops the whole style attribute for %s', (style) => {
    expect(sanitizeMailHtml(`<div style="${style}">d</div>`)).toBe('<div>d</div>');
  });

  it('drops properties outside the allowlist and keeps the rest', () => {
    expect(sanitizeMailHtml('<div style="position: fixed; top: 0; color: red">d</div>')).toBe('<div style="color:red">d</div>');
  });
});

describe('sanitizeMailHtml: formatting survives', () => {
  it('keeps tables, lists, headings and legacy formatting tags', () => {
    const html =
      '<h1>T</h1><table border="1" cellpadding="2" cellspacing="0" width="100%"><thead><tr><th colspan="2">h</th></tr></thead>' +
      '<tbody><tr><td valign="top" bgcolor="#ffffff">c</td></tr></tbody></table>' +
      '<ul><li>a</li></ul><ol start="3"><li>b</li></ol><blockquote>q</blockquote><pre><code>x</code></pre>' +
      '<font color="red" face="Arial" size="2">f</font><center>c</center><hr /><p>a<br />b <b>b</b> <i>i</i> <u>u</u> <strong>s</strong> <em>e</em></p>';
    expect(sanitizeMailHtml(html)).toBe(html);
  });

  it('escapes text so that it cannot become markup', () => {
    expect(sanitizeMailHtml('<p>1 &lt; 2 &amp;&amp; &lt;script&gt;</p>')).toBe('<p>1 &lt; 2 &amp;&amp; &lt;script&gt;</p>');
  });
});

describe('sanitizeMailHtml: property check', () => {
  const fragments = [
    '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<svg onload=alert(1)>', '<a href="javascript:alert(1)">',
    '<a href="java&#115;cript:alert(1)">', '<iframe src=//evil.example>', '<style>', '</style>', '<p style="x:url(y)">',
    '<div onmouseover="x">', '<base href=//evil.example>', '<meta http-equiv=refresh content=0>', '<form>', '<input>', '"', "'",
    '<', '>', '=', '<!--', '-->', '<p>', '</p>', 'text', ' ', '<a href="https://ok.example">', '</a>', '<noscript>', '<textarea>',
  ];

  it('never lets an executable construct through, whatever the nesting', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 30 }), (parts) => {
        const output = sanitizeMailHtml(parts.join(''));
        // Text is escaped (`<` becomes `&lt;`), so every `<` left in the output starts a real tag.
        for (const [, name = '', attributes = ''] of output.matchAll(/<\/?([a-zA-Z0-9]+)([^>]*)>/g)) {
          expect(['p', 'a', 'img', 'div']).toContain(name.toLowerCase());
          expect(attributes).not.toMatch(/\son\w+\s*=/i);
          expect(attributes).not.toMatch(/javascript:|url\(|&#/i);
          const href = /href="([^"]*)"/.exec(attributes)?.[1];
          if (href !== undefined) expect(href).toMatch(/^(https?:\/\/|mailto:)/);
        }
        expect(output.replace(/<[^>]*>/g, '')).not.toContain('<');
      }),
      { numRuns: 500 },
    );
  });
});
