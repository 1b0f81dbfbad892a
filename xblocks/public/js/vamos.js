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
    function refresh() {
      postJSON(runtime, element, "progress", {}).done(function (response) {
        $root.find(".vamos-progress-area").html(response.html);
      });
    }
    $(document).on("vamos:progress", refresh);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") { refresh(); }
    });
  };

  window.VamosStudioEditor = function (runtime, element, args) {
    var $root = $(element);
    var strings = args.strings || {};
    var $form = $root.find(".vamos-studio-form");

    $root.find(".vamos-cancel").on("click", function () {
      runtime.notify("cancel", {});
    });

    $form.on("submit", function (event) {
      event.preventDefault();
      var values = {};
      $form.find("[name]").each(function () { values[this.name] = $(this).val(); });
      $form.find(".vamos-field-error").text("");
      $form.find(".vamos-field").removeClass("vamos-invalid");
      runtime.notify("save", {state: "start"});
      postJSON(runtime, element, "studio_submit", {values: values}).done(function () {
        $form.find(".vamos-status").text(strings.saved);
        runtime.notify("save", {state: "end"});
      }).fail(function (xhr) {
        var error = xhr.responseJSON && xhr.responseJSON.error;
        var fields = (error && error.fields) || {};
        $.each(fields, function (name, message) {
          var $field = $form.find(".vamos-field[data-field='" + name + "']");
          $field.addClass("vamos-invalid").find(".vamos-field-error").text(message);
        });
        var message = errorText(xhr, strings.error);
        $form.find(".vamos-status").text(message);
        runtime.notify("error", {title: strings.error, message: message});
      });
    });
  };
}());
