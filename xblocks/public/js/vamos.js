/* VAMOs XBlocks: lesson, quiz, module overview and the Studio editor.
 * The browser only sends what the learner did (a lesson marked done, the chosen options); every score,
 * feedback text and progress figure comes back from the server. jQuery is provided by the runtime. */
(function () {
  "use strict";

  function postJSON(runtime, element, handler, data) {
    return $.ajax({
      type: "POST",
      url: runtime.handlerUrl(element, handler),
      data: JSON.stringify(data),
      contentType: "application/json; charset=utf-8",
      dataType: "json"
    });
  }

  function errorText(xhr, fallback) {
    var error = xhr && xhr.responseJSON && xhr.responseJSON.error;
    if (error && typeof error === "object") { return error.message || fallback; }
    return error || fallback;
  }

  function announceProgress() {
    // The module overview on the same page refreshes its progress.
    $(document).trigger("vamos:progress");
  }

  window.VamosLessonBlock = function (runtime, element, args) {
    var $root = $(element);
    var strings = args.strings || {};
    // In-lesson checks: the form works without script (the handler answers with a page); with script the
    // answer goes as JSON and the check is replaced by the server's rendering with feedback.
    $root.on("submit", "form[data-check-form]", function (event) {
      var form = this;
      var $check = $(form).closest(".lesson-check");
      event.preventDefault();
      $.ajax({
        type: "POST",
        url: form.getAttribute("action").split("#")[0],
        data: JSON.stringify({option: $(form).find("input:checked").map(function () { return this.value; }).get()}),
        contentType: "application/json; charset=utf-8",
        dataType: "json"
      }).done(function (response) {
        var $fresh = $(response.html);
        $check.replaceWith($fresh);
        $fresh.find(".check-feedback").attr("tabindex", "-1").trigger("focus");
      }).fail(function (xhr) {
        $check.find(".check-feedback").text(errorText(xhr, strings.error));
      });
    });
    $root.find(".vamos-mark-done").on("click", function () {
      var $button = $(this);
      var $status = $root.find(".vamos-status");
      $button.prop("disabled", true);
      postJSON(runtime, element, "mark_done", {done: true}).done(function (response) {
        $button.attr("aria-pressed", "true").text("\u2713 " + strings.done);
        $status.text(response.status);
        announceProgress();
      }).fail(function (xhr) {
        $button.prop("disabled", false);
        $status.text(errorText(xhr, strings.error));
      });
    });
  };

  window.VamosQuizBlock = function (runtime, element, args) {
    var $root = $(element);
    var strings = args.strings || {};
    var $form = $root.find(".vamos-quiz-form");
    var $questions = $form.find(".vamos-question");
    var page = 0;

    function showPage(index) {
      if (!args.one_per_page) { return; }
      page = Math.max(0, Math.min(index, $questions.length - 1));
      $questions.each(function (i) { $(this).prop("hidden", i !== page); });
      $form.find(".vamos-prev").prop("disabled", page === 0);
      $form.find(".vamos-next").prop("hidden", page === $questions.length - 1);
      $form.find(".vamos-submit").prop("hidden", page !== $questions.length - 1);
      $form.find(".vamos-page-status").text(
        strings.question_of.replace("{number}", page + 1).replace("{total}", $questions.length));
    }

    function answers() {
      var result = {};
      $questions.each(function () {
        var id = $(this).data("question");
        result[id] = $(this).find("input:checked").map(function () { return this.value; }).get();
      });
      return result;
    }

    function resetForm() {
      $form.find("input").prop("checked", false);
      $form.prop("hidden", false);
      $form.find(".vamos-status").text("");
      showPage(0);
    }

    $form.find(".vamos-prev").on("click", function () { showPage(page - 1); });
    $form.find(".vamos-next").on("click", function () { showPage(page + 1); });
    $root.on("click", ".vamos-retry", function () {
      resetForm();
      $root.find(".vamos-quiz-result").empty();
      $questions.first().find("input").first().trigger("focus");
    });

    $form.on("submit", function (event) {
      event.preventDefault();
      var given = answers();
      var missing = $.grep(Object.keys(given), function (id) { return given[id].length === 0; });
      var $status = $form.find(".vamos-status");
      if (missing.length) {
        $status.text(strings.unanswered);
        if (args.one_per_page) {
          showPage($questions.index($questions.filter("[data-question='" + missing[0] + "']")));
        }
        return;
      }
      var $submit = $form.find(".vamos-submit").prop("disabled", true);
      postJSON(runtime, element, "submit", {answers: given}).done(function (response) {
        $root.find(".vamos-quiz-result").html(response.result_html);
        $root.find(".vamos-result h3").trigger("focus");  // screen readers hear the result first
        $form.prop("hidden", true);
        $status.text("");
        announceProgress();
      }).fail(function (xhr) {
        $status.text(errorText(xhr, strings.error));
      }).always(function () {
        $submit.prop("disabled", false);
      });
    });

    showPage(0);
  };

  window.VamosModuleBlock = function (runtime, element) {
    var $root = $(element);
    var $module = $root.find(".vamos-module").first();
    var args = {public: $module.data("public") === true};
    var strings = {part_of: $module.data("part-of")};
    var $parts = $root.find(".vamos-part");
    var current = 0;

    function refresh() {
      if (args.public) { return; }
      postJSON(runtime, element, "progress", {}).done(function (response) {
        $root.find(".vamos-progress-area").first().html(response.html);
      });
    }

    // One part (lesson or quiz) at a time, like pages of a book; without JavaScript every part stays visible.
    function show(index, focus) {
      if (!$parts.length) { return; }
      current = Math.max(0, Math.min(index, $parts.length - 1));
      $parts.each(function (i) { $(this).prop("hidden", i !== current); });
      var $nav = $root.find(".vamos-part-nav").first().prop("hidden", false);
      $nav.find(".vamos-part-prev").prop("disabled", current === 0);
      $nav.find(".vamos-part-next").prop("disabled", current === $parts.length - 1);
      $nav.find(".vamos-part-status").text(
        (strings.part_of || "{number}/{total}").replace("{number}", current + 1).replace("{total}", $parts.length));
      if (focus) { $parts.eq(current).find("h2").first().attr("tabindex", "-1").trigger("focus"); }
    }

    $root.find(".vamos-contents a[data-part]").on("click", function (event) {
      event.preventDefault();
      show(parseInt($(this).data("part"), 10), true);
    });
    $root.find(".vamos-part-prev").first().on("click", function () { show(current - 1, true); });
    $root.find(".vamos-part-next").first().on("click", function () { show(current + 1, true); });
    $(document).on("vamos:progress", refresh);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { refresh(); }
    });
    show(0, false);
  };

  function moveItem($item, direction) {
    if (direction < 0) { $item.prev().before($item); } else { $item.next().after($item); }
  }

  function questionValues($editor) {
    return $editor.find(".vamos-q-list > .vamos-q-item").map(function () {
      var $q = $(this);
      var question = {
        id: $.trim($q.find("[data-key='id']").val()),
        type: $q.find("[data-key='type']").val(),
        prompt: $q.find("[data-key='prompt']").val(),
        points: parseFloat($q.find("[data-key='points']").val()),
        explanation: $q.find("[data-key='explanation']").val(),
        options: $q.find(".vamos-o-item").map(function () {
          var $o = $(this);
          return {
            id: $.trim($o.find("[data-okey='id']").val()),
            text: $o.find("[data-okey='text']").val(),
            correct: $o.find("[data-okey='correct']").prop("checked"),
            feedback: $o.find("[data-okey='feedback']").val()
          };
        }).get()
      };
      if (isNaN(question.points)) { question.points = $q.find("[data-key='points']").val(); }
      var lesson = $q.find("[data-key='lesson']").val();
      if (lesson) { question.lesson = lesson; }
      if (question.type === "multiple") { question.scoring = $q.find("[data-key='scoring']").val(); }
      return question;
    }).get();
  }

  function showQuestionError($editor, path, message) {
    var match = /^questions\[(\d+)\](?:\.options\[(\d+)\])?(?:\.(\w+))?$/.exec(path);
    if (!match) {
      if (path === "questions") { $editor.find(".vamos-questions-error").text(message); return true; }
      return false;
    }
    var $q = $editor.find(".vamos-q-list > .vamos-q-item").eq(parseInt(match[1], 10));
    var $target;
    if (match[2] !== undefined) {
      var $o = $q.find(".vamos-o-item").eq(parseInt(match[2], 10));
      $target = $o.find(".vamos-o-error[data-error='" + (match[3] || "text") + "']");
    } else {
      $target = $q.find(".vamos-q-error[data-error='" + (match[3] || "prompt") + "']");
    }
    $target.text(message).closest("label, .vamos-o-item, .vamos-q-item").addClass("vamos-invalid");
    $target.prev("label").addClass("vamos-invalid").find("input, textarea, select").attr("aria-invalid", "true");
    return true;
  }

  function initQuestionEditor($root) {
    var $editor = $root.find(".vamos-question-editor");
    if (!$editor.length) { return null; }
    var template = $editor.find("template.vamos-q-template")[0];
    function fresh(selector) { return $(document.importNode(template.content, true)).find(selector).first(); }
    function renumber() {
      $editor.find(".vamos-q-list > .vamos-q-item").each(function (i) { $(this).find(".vamos-q-number").text(i + 1); });
    }
    $editor.on("click", ".vamos-q-add", function () {
      var $q = fresh(".vamos-q-item");
      var used = questionValues($editor).map(function (q) { return q.id; });
      var n = used.length + 1;
      while (used.indexOf("frage-" + n) !== -1) { n += 1; }
      $q.find("[data-key='id']").val("frage-" + n);
      $q.find("[data-okey='id']").val("a");
      $q.find(".vamos-o-list").append(fresh(".vamos-o-item").clone().find("[data-okey='id']").val("b").end());
      $editor.find(".vamos-q-list").append($q);
      renumber();
      $q.find("[data-key='prompt']").trigger("focus");
    });
    $editor.on("click", ".vamos-o-add", function () {
      var $list = $(this).siblings(".vamos-o-list");
      var $o = fresh(".vamos-o-item");
      $o.find("[data-okey='id']").val(String.fromCharCode(97 + $list.children().length));
      $list.append($o);
      $o.find("[data-okey='text']").trigger("focus");
    });
    $editor.on("click", ".vamos-q-up, .vamos-q-down", function () {
      moveItem($(this).closest(".vamos-q-item"), $(this).hasClass("vamos-q-up") ? -1 : 1);
      renumber();
    });
    $editor.on("click", ".vamos-o-up, .vamos-o-down", function () {
      moveItem($(this).closest(".vamos-o-item"), $(this).hasClass("vamos-o-up") ? -1 : 1);
    });
    $editor.on("click", ".vamos-q-remove", function () { $(this).closest(".vamos-q-item").remove(); renumber(); });
    $editor.on("click", ".vamos-o-remove", function () { $(this).closest(".vamos-o-item").remove(); });
    return $editor;
  }

  window.VamosStudioEditor = function (runtime, element, args) {
    var $root = $(element);
    var strings = args.strings || {};
    var $form = $root.find(".vamos-studio-form");
    var $questions = initQuestionEditor($root);

    $root.find(".vamos-cancel").on("click", function () {
      runtime.notify("cancel", {});
    });

    $root.find(".vamos-preview-button").on("click", function () {
      var markdown = $form.find("[name='markdown']").val();
      postJSON(runtime, element, "preview", {markdown: markdown}).done(function (response) {
        $root.find(".vamos-preview").html(response.html);
        $root.find(".vamos-preview-problems").text(response.problems);
      }).fail(function (xhr) {
        $root.find(".vamos-preview-problems").text(errorText(xhr, strings.error));
      });
    });

    $form.on("submit", function (event) {
      event.preventDefault();
      var values = {};
      $form.find(".vamos-field [name]").each(function () {
        var kind = $(this).data("kind");
        values[this.name] = kind === "checkbox" ? this.checked : $(this).val();
      });
      if ($questions) { values.questions = questionValues($questions); }
      $form.find(".vamos-field-error, .vamos-status").text("");
      $form.find(".vamos-invalid").removeClass("vamos-invalid");
      $form.find("[aria-invalid]").removeAttr("aria-invalid");
      runtime.notify("save", {state: "start"});
      postJSON(runtime, element, "studio_submit", {values: values}).done(function () {
        $form.find(".vamos-status").text(strings.saved);
        runtime.notify("save", {state: "end"});
      }).fail(function (xhr) {
        var error = xhr.responseJSON && xhr.responseJSON.error;
        var fields = (error && error.fields) || {};
        var unplaced = [];
        $.each(fields, function (name, message) {
          if ($questions && showQuestionError($questions, name, message)) { return; }
          var $field = $form.find(".vamos-field[data-field='" + name + "']");
          if (!$field.length) { unplaced.push(name + ": " + message); return; }
          $field.addClass("vamos-invalid").find(".vamos-field-error").text(message);
          $field.find("input, textarea, select").attr("aria-invalid", "true");
        });
        // A problem without a field of its own is still shown, never swallowed.
        var message = [errorText(xhr, strings.error)].concat(unplaced).join(" ");
        $form.find(".vamos-status").text(message);
        runtime.notify("error", {title: strings.error, message: message});
      });
    });
  };
}());
