// Deep linking: hand the signed response to the platform without a click (the button stays for no-JS).
document.getElementById("autopost").submit();
