// The Builders' Guide's page script: one framework choice for the whole
// book, accessible tabs, copy buttons and notebook downloads. It replaces
// d2lbook's own page script, which switched tabs by position, forgot the
// choice on the next page and loaded an analytics script.
(function () {
  'use strict';

  // The HTML step writes window.BOOK before this script, from config.ini
  // (frameworks, their names, languages) and static/words.json (the
  // words this script and the theme put on a page, in each language;
  // {fw} stands for a framework's name)
  var BOOK = window.BOOK;
  var FRAMEWORKS = BOOK.frameworks;
  var LABELS = BOOK.labels;
  var WORDS = BOOK.words;
  var STORAGE_KEY = 'builders-guide-framework';
  // English is the root site; each translation is a site in its folder
  var LANGUAGES = BOOK.languages.map(function (lang) {
    return [lang, WORDS[lang].languageName, lang === 'en' ? '' : lang + '/'];
  });

  function word(key, framework) {
    return WORDS[currentLanguage()][key].replace('{fw}', framework);
  }

  function storedChoice() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (e) {  // Storage can be disabled; the page still works
      return null;
    }
  }

  function store(name) {
    try {
      window.localStorage.setItem(STORAGE_KEY, name);
    } catch (e) { /* the choice then lasts for this page only */ }
  }

  function initialChoice() {
    var fromUrl = new URLSearchParams(window.location.search).get('tab');
    if (FRAMEWORKS.indexOf(fromUrl) >= 0) {
      store(fromUrl);
      return fromUrl;
    }
    var saved = storedChoice();
    return FRAMEWORKS.indexOf(saved) >= 0 ? saved : FRAMEWORKS[0];
  }

  // d2lbook names a panel "<framework>-<group>-<index>"
  function frameworkOf(element) {
    var id = element.id || element.getAttribute('href').slice(1);
    return id.split('-')[0];
  }

  function tabSets() {
    return Array.prototype.slice.call(document.querySelectorAll('.mdl-tabs'));
  }

  function tabsOf(set) {
    return Array.prototype.slice.call(
      set.querySelectorAll(':scope > .mdl-tabs__tab-bar > .mdl-tabs__tab'));
  }

  function makeAccessible(set, index) {
    var bar = set.querySelector(':scope > .mdl-tabs__tab-bar');
    bar.setAttribute('role', 'tablist');
    bar.setAttribute('aria-label', word('framework'));
    tabsOf(set).forEach(function (tab) {
      var panel = document.getElementById(tab.getAttribute('href').slice(1));
      var name = frameworkOf(tab);
      tab.id = panel.id + '-tab';
      tab.dataset.framework = name;
      tab.textContent = LABELS[name] || name;
      tab.setAttribute('role', 'tab');
      tab.setAttribute('aria-controls', panel.id);
      tab.removeAttribute('onclick');
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', tab.id);
      panel.setAttribute('tabindex', '0');
      tab.addEventListener('click', function (event) {
        event.preventDefault();
        event.stopImmediatePropagation();
        choose(name);
      }, true);
      tab.addEventListener('keydown', function (event) {
        onKey(event, set);
      });
    });
  }

  function onKey(event, set) {
    var tabs = tabsOf(set);
    var current = tabs.indexOf(event.currentTarget);
    var next = {ArrowRight: current + 1, ArrowLeft: current - 1,
                Home: 0, End: tabs.length - 1}[event.key];
    if (next === undefined) {
      return;
    }
    event.preventDefault();
    var target = tabs[(next + tabs.length) % tabs.length];
    choose(frameworkOf(target));
    target.focus();
  }

  // Show one framework in every tab set; a set without it (prose written
  // for other frameworks only) is hidden altogether
  function show(name) {
    tabSets().forEach(function (set) {
      var tabs = tabsOf(set);
      var has = tabs.some(function (tab) { return frameworkOf(tab) === name; });
      set.hidden = !has;
      tabs.forEach(function (tab) {
        var selected = frameworkOf(tab) === name;
        var panel = document.getElementById(tab.getAttribute('aria-controls'));
        tab.classList.toggle('is-active', selected);
        tab.setAttribute('aria-selected', String(selected));
        tab.setAttribute('tabindex', selected ? '0' : '-1');
        panel.classList.toggle('is-active', selected);
        panel.hidden = !selected;
      });
    });
    document.documentElement.dataset.framework = name;
    updateDownloads(name);
    updateLanguageLinks(name);
  }

  function choose(name) {
    store(name);
    var url = new URL(window.location.href);
    url.searchParams.set('tab', name);
    window.history.replaceState(null, '', url);
    show(name);
  }

  // Where the book's root is, relative to this page
  function rootUrl() {
    var options = document.getElementById('documentation_options');
    return (options && options.dataset.url_root) || './';
  }

  function pagePath() {
    var root = new URL(rootUrl(), window.location.href).pathname;
    var path = window.location.pathname;
    if (path.endsWith('/')) {
      path += 'index.html';
    }
    return path.slice(root.length).replace(/\.html$/, '');
  }

  function addDownloads() {
    var heading = document.querySelector('.section > h1, section > h1');
    if (!heading) {
      return;
    }
    var bar = document.createElement('p');
    bar.className = 'bg-downloads';
    bar.innerHTML = '<span></span> <a class="bg-notebook" ' +
      'download></a> &middot; <a class="bg-zip" download></a> &middot; ' +
      '<a class="bg-pdf"></a> &middot; <a class="bg-wheel" download></a>';
    bar.firstChild.textContent = word('run');
    heading.insertAdjacentElement('afterend', bar);
  }

  function updateDownloads(name) {
    var label = LABELS[name] || name;
    var notebook = document.querySelector('.bg-notebook');
    var zip = document.querySelector('.bg-zip');
    if (!notebook) {
      return;
    }
    notebook.href = rootUrl() + 'notebooks/' + name + '/' + pagePath() +
      '.ipynb';
    notebook.textContent = word('notebook', label);
    zip.href = rootUrl() + 'notebooks/builders-guide-' + name + '.zip';
    zip.textContent = word('zip', label);
    // The d2l wheel; config.ini's release is its version (html checks)
    var wheel = document.querySelector('.bg-wheel');
    wheel.href = rootUrl() + 'notebooks/d2l_builders_guide-' +
      DOCUMENTATION_OPTIONS.VERSION + '-py3-none-any.whl';
    wheel.textContent = word('wheel');
    updatePdfLink(name);
  }

  // The chapter's PDF in this framework and this page's language; every
  // site's links point at the English site's pdf/ folder
  function updatePdfLink(name) {
    var link = document.querySelector('.bg-pdf');
    var lang = currentLanguage();
    link.href = rootUrl() + (lang === 'en' ? '' : '../') +
      'pdf/builders-guide-' + name + '-' + lang + '.pdf';
    link.textContent = word('pdf', LABELS[name] || name);
  }

  function currentLanguage() {
    var lang = (document.documentElement.lang || 'en').split('-')[0];
    return LANGUAGES.some(function (l) { return l[0] === lang; }) ?
      lang : 'en';
  }

  // Links to the same page in every language, keeping the framework
  function addLanguages() {
    var heading = document.querySelector('.section > h1, section > h1');
    if (!heading) {
      return;
    }
    var current = currentLanguage();
    var englishRoot = rootUrl() + (current === 'en' ? '' : '../');
    var nav = document.createElement('nav');
    nav.className = 'bg-languages';
    nav.setAttribute('aria-label', word('language'));
    LANGUAGES.forEach(function (language) {
      var link = document.createElement('a');
      link.textContent = language[1];
      link.lang = language[0];
      link.hreflang = language[0];
      link.dataset.lang = language[0];
      link.dataset.base = englishRoot + language[2] + pagePath() + '.html';
      if (language[0] === current) {
        link.setAttribute('aria-current', 'page');
      }
      nav.appendChild(link);
    });
    heading.insertAdjacentElement('beforebegin', nav);
  }

  function updateLanguageLinks(name) {
    var links = document.querySelectorAll('.bg-languages a');
    Array.prototype.forEach.call(links, function (link) {
      link.href = link.dataset.base + '?tab=' + name;
    });
  }

  function addCopyButtons() {
    var blocks = document.querySelectorAll(
      'div.highlight-python > div.highlight');
    Array.prototype.forEach.call(blocks, function (block) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'bg-copy';
      button.textContent = word('copy');
      button.setAttribute('aria-label', word('copyLabel'));
      button.addEventListener('click', function () {
        var code = block.querySelector('pre').innerText;
        copyText(code).then(function () {
          button.textContent = word('copied');
          window.setTimeout(function () {
            button.textContent = word('copy');
          }, 1500);
        });
      });
      block.appendChild(button);
    });
  }

  // Code and outputs scroll sideways on narrow screens; a keyboard
  // reader scrolls them once they can take the focus
  function makeScrollable() {
    var blocks = document.querySelectorAll('div.highlight pre, pre.output');
    Array.prototype.forEach.call(blocks, function (pre) {
      pre.setAttribute('tabindex', '0');
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Pages opened from disk or plain http have no clipboard API
    var area = document.createElement('textarea');
    area.value = text;
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    document.execCommand('copy');
    area.remove();
    return Promise.resolve();
  }

  // d2lbook's tab bars call tagClick from inline handlers
  window.tagClick = choose;

  // The theme's own headings, and the label that book.css puts on outputs
  function translateTheme() {
    var captions = document.querySelectorAll(
      '.mdl-layout-title.toc, .localtoc .caption-text');
    Array.prototype.forEach.call(captions, function (caption) {
      caption.textContent = word('contents');
    });
    document.documentElement.style.setProperty(
      '--bg-output-label', JSON.stringify(word('output')));
  }

  document.addEventListener('DOMContentLoaded', function () {
    translateTheme();
    tabSets().forEach(makeAccessible);
    addDownloads();
    addLanguages();
    addCopyButtons();
    makeScrollable();
    show(initialChoice());
  });
}());
