// LTI Dynamic Registration 1.0: tell the platform that registration is finished.
(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");
