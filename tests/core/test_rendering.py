from vamos_core.rendering import render_lesson


def test_lesson_renders_media_citations_and_glossary(module_folder):
    from vamos_core.content import load_module

    module_folder.replace("lessons/erste-lektion.md", "Ein Verein plant ein Projekt.", "Ein Verein plant ein Projekt nach dem BGB [G1].")
    module = load_module(module_folder.root)
    rendered = render_lesson(module, module.lessons[0], "/media/testmodul/")
    assert 'href="/media/testmodul/media/vorlage.csv"' in rendered.html
    assert '<a class="citation" href="#quelle-g1">[G1]</a>' in rendered.html
    assert [s.id for s in rendered.sources] == ["g1"]
    assert [t.id for t in rendered.glossary] == ["projekt", "ziel"]
    assert 'class="glossary-term" href="#begriff-projekt"' in rendered.html
    # cached: the same object for the same lesson
    assert render_lesson(module, module.lessons[0], "/media/testmodul") is rendered
