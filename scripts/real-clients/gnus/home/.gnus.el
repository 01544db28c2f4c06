;; Gnus for the real-client corpus: rc-gnus's INBOX over IMAP, mail out through Postfix (SMTP).
(setq user-full-name "Robin Weber"
      user-mail-address "rc-gnus@example.test"
      gnus-select-method '(nnimap "example"
                                  (nnimap-address "127.0.0.1")
                                  (nnimap-server-port 143)
                                  (nnimap-stream plain))
      gnus-subscribe-newsgroup-method 'gnus-subscribe-alphabetically
      gnus-check-new-newsgroups 'ask-server
      gnus-save-newsrc-file nil
      gnus-read-newsrc-file nil
      gnus-use-dribble-file nil
      gnus-novice-user nil
      gnus-expert-user t
      message-send-mail-function 'smtpmail-send-it
      send-mail-function 'smtpmail-send-it
      smtpmail-smtp-server "127.0.0.1"
      smtpmail-smtp-service 25
      smtpmail-stream-type 'plain
      auth-sources '("~/.authinfo")
      message-forward-as-mime nil)
