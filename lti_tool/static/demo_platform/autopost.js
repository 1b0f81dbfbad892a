document.getElementById("launch-form").submit();
