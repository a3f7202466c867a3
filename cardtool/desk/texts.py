"""Every word the desk's pages show, in Japanese (first) and English."""

from __future__ import annotations

from apdu.pcsc_service import service_hint
from cardtool.i18n import LANGS, Messages

#: This operating system's PC/SC service, named in the reader banner.
_SERVICE = service_hint()

#: Every desk text, key -> (English, Japanese): one ``i18n.Messages`` table like every other
#: module's messages (issue 23: the desk no longer has its own lookup).
TEXTS = Messages({
    "title": ("cardtool office desk", "cardtool 窓口"),
    "nav_check": ("Check a card", "読み取り"),
    "nav_deadlines": ("Deadlines", "期限一覧"),
    "nav_clients": ("Clients", "顧客"),
    "nav_export": ("Export", "書き出し"),
    "switch_lang": ("日本語", "English"),
    "skip": ("Skip to the content", "本文へ移動"),
    "demo": ("Demo mode: virtual cards, no real card data", "デモモード: 仮想カード(実在の情報ではありません)"),
    "next_card": ("Next card", "次のカード"),
    "cards_left": ("virtual cards still to come: {n}", "残りの仮想カード: {n}枚"),
    # reader states
    "reader_no-service": (f"The card reader service ({_SERVICE.name[0]}) is not running. "
                          f"{_SERVICE.action[0]} This page follows.",
                          f"カードリーダーのサービス({_SERVICE.name[1]})が動いていません。"
                          f"{_SERVICE.action[1]}このページは自動で更新されます。"),
    "reader_no-reader": ("No card reader is connected. Connect the reader (e.g. Sony RC-S300).",
                         "カードリーダーが接続されていません。リーダー(例: Sony RC-S300)を接続してください。"),
    "reader_waiting": ("Waiting for a card: put the card on the reader.",
                       "カード待ち: カードをリーダーに置いてください。"),
    "reader_present": ("A card is on the reader.", "カードがリーダーにあります。"),
    "reader_reading": ("Reading the card… do not move it.", "読み取り中… カードを動かさないでください。"),
    "reader_label": ("Reader", "リーダー"),
    # the check
    "check_heading": ("Check a card", "カードの読み取り"),
    "nothing_yet": ("Put a card on the reader: it is read at once.",
                    "カードをリーダーに置くと、すぐに読み取ります。"),
    "read_again": ("Read again", "もう一度読み取る"),
    "card_kind": ("Card", "カード"),
    "read_in": ("read in {ms} ms", "読み取り時間 {ms} ミリ秒"),
    "needs_number": ("Residence card: type the card number", "在留カード等: 在留カード番号を入力"),
    "card_number": ("Card number (12 characters, e.g. AB12345678CD)",
                    "在留カード番号(12文字 例: AB12345678CD)"),
    "card_number_note": ("Not shown, not stored, not logged: used only to open the card.",
                         "表示・保存・記録はしません。カードを開くためだけに使います。"),
    "read_with_number": ("Read with this number", "この番号で読み取る"),
    "face_heading": ("Card-face check (My Number card)", "券面確認(マイナンバーカード)"),
    "face_intro": ("Proves the card in hand is genuine: type what is printed on the card.",
                   "手元のカードが真正であることを確認します。カードに記載の内容を入力してください。"),
    "face_birth": ("Birth date (YYYY-MM-DD)", "生年月日(西暦 YYYY-MM-DD)"),
    "face_year": ("Year of the card's expiry (YYYY)", "カードの有効期限の年(西暦4桁)"),
    "face_code": ("Security code (4 digits)", "セキュリティコード(4桁)"),
    "face_submit": ("Check the card face", "券面を確認する"),
    "face_done": ("Card face checked (照合番号B).", "券面確認済み(照合番号B)。"),
    "dates": ("Dates", "日付"),
    "findings": ("What to do", "対応"),
    "no_findings": ("Nothing to do: every date is more than {soon} days away.",
                    "対応不要: すべての期限まで{soon}日超あります。"),
    "authenticity": ("Is the card genuine?", "真正性"),
    "no_verdict": ("No authenticity verdict for this read.", "この読み取りでは真正性を判定していません。"),
    "check_pass": ("pass", "合格"),
    "check_fail": ("FAIL", "不合格"),
    "check_skipped": ("skipped", "未実施"),
    "result": ("Result", "判定"),
    "failed_heading": ("The card could not be read", "カードを読み取れませんでした"),
    "try_again": ("Put the card back on the reader and choose “Read again”.",
                  "カードをリーダーに置き直し、「もう一度読み取る」を選んでください。"),
    "not_genuine_warning": ("The dates above come from chip data that failed its authenticity "
                            "check: do not rely on them or on the card.",
                            "上記の日付は真正性の検証に失敗したチップのデータです。日付もカードも信頼しないでください。"),
    "renewal_pending": ("Renewal pending (申請中)", "在留期間更新等 申請中"),
    # confirming the dates read from a first-generation card's image
    "confirm_heading": ("Confirm the dates read from the card image",
                        "カード画像から読み取った日付の確認"),
    "confirm_intro": ("These dates were read by OCR from the card's front image. Compare each "
                      "with the printed card: keep or correct the date and choose “as in the "
                      "box”, or choose “check by eye” (then no deadline is kept for it). "
                      "Nothing can be saved before every date is answered.",
                      "以下の日付はカード表面の画像から OCR で読み取ったものです。1件ずつ実物の"
                      "カードと照合し、日付をそのまま(または訂正して)「入力欄のとおり」を選ぶか、"
                      "「目視確認」を選んでください(目視確認にした日付は期限として扱いません)。"
                      "すべての日付に回答するまで保存できません。"),
    "confirm_read": ("OCR read: {text}", "OCR の読み取り: {text}"),
    "confirm_confidence": ("confidence {pct}%", "確信度 {pct}%"),
    "confirm_uncertain": ("OCR could not read this date: {reason}. Type it from the card.",
                          "OCR はこの日付を読み取れませんでした: {reason}。カードを見て入力してください。"),
    "confirm_indefinite_read": ("OCR read: 無期限 (no period of stay)",
                                "OCR の読み取り: 無期限(在留期間の満了日なし)"),
    "confirm_crop": ("The part of the card image this date was read from, with its label",
                     "この日付を読み取ったカード画像の部分(項目名を含む)"),
    "confirm_whole": ("The card image (where the date is was not found)",
                      "カード画像(日付の位置は特定できませんでした)"),
    "confirm_no_image": ("The card image cannot be shown.", "カード画像を表示できません。"),
    "confirm_date": ("Date on the card (YYYY-MM-DD)", "カード記載の日付(YYYY-MM-DD)"),
    "confirm_as_box": ("As in the box: checked against the card", "入力欄のとおり(カードと照合済み)"),
    "confirm_indefinite": ("The card shows 無期限 (no period of stay)", "カードの記載は「無期限」"),
    "confirm_eye": ("Check by eye (no deadline from this date)", "目視確認(期限として扱わない)"),
    "confirm_submit": ("Confirm these dates", "日付を確定する"),
    "confirm_first": ("Confirm the dates above first: saving is possible once each is "
                      "confirmed, corrected or marked “check by eye”.",
                      "先に上の日付を確定してください。すべて確認・訂正・目視確認のいずれかに"
                      "すると保存できます。"),
    "dates_pending": ("The dates read from the card image count once confirmed above; until "
                      "then the card is judged without them.",
                      "カード画像から読み取った日付は、上で確定すると反映されます。それまでは"
                      "それらの日付なしで判定しています。"),
    "confirm_missing": ("Not confirmed yet: {error}", "まだ確定していません: {error}"),
    # attaching to a client
    "attach_heading": ("Save to a client", "顧客に保存"),
    "known_card": ("This card was saved before for: {client}", "このカードは以前に次の顧客で保存されています: {client}"),
    "search_label": ("Find a client (reference or name)", "顧客を検索(参照番号または名前)"),
    "search": ("Search", "検索"),
    "save_to": ("Save to this client", "この顧客に保存"),
    "new_client": ("New client", "新しい顧客"),
    "reference": ("Reference (the office's file number)", "参照番号(事務所の管理番号)"),
    "display_name": ("Display name (optional)", "表示名(任意)"),
    "create_and_save": ("Create the client and save", "顧客を作成して保存"),
    "saved": ("Saved.", "保存しました。"),
    "stale": ("Not saved: another card was read since this page was shown. Check the result "
              "below and save again.", "保存していません: このページの表示後に別のカードを読み取りました。"
              "下の結果を確認して、もう一度保存してください。"),
    "save_failed": ("The check was NOT saved: {reason}", "保存できませんでした: {reason}"),
    "no_clients_found": ("No client found.", "該当する顧客はありません。"),
    # register pages
    "register_unavailable": ("The client register cannot be used: {reason}",
                             "顧客台帳を使用できません: {reason}"),
    "deadlines_heading": ("Deadlines, most urgent first", "期限一覧(緊急度順)"),
    "filter_all": ("All", "すべて"),
    "filter_30": ("Next 30 days", "30日以内"),
    "filter_90": ("Next 90 days", "90日以内"),
    "filter_overdue": ("Overdue", "期限切れ"),
    "filter_pending": ("Renewal pending", "申請中"),
    "col_client": ("Client", "顧客"),
    "col_what": ("Deadline", "期限の種類"),
    "col_date": ("Date", "日付"),
    "col_days": ("Days", "残り"),
    "col_level": ("Level", "区分"),
    "col_todo": ("What to do", "対応"),
    "col_source": ("Date from", "日付の出所"),
    "col_time": ("Checked", "確認日時"),
    "col_desk": ("Desk", "窓口"),
    "col_kind": ("Card", "カード"),
    "col_card_expiry": ("Card expiry", "カード有効期限"),
    "col_residence_expiry": ("Period of stay", "在留期間満了日"),
    "col_authenticity": ("Authenticity", "真正性"),
    "col_card_number": ("Card number", "カード番号"),
    "no_deadlines": ("No deadline matches.", "該当する期限はありません。"),
    "page_of": ("Page {number} of {pages} ({total} in all)", "{pages}ページ中 {number}ページ目(全{total}件)"),
    "page_previous": ("Previous page", "前のページ"),
    "page_next": ("Next page", "次のページ"),
    "page_clamped": ("There is no page {asked}: this is page {number}.",
                     "{asked}ページ目はありません。{number}ページ目を表示しています。"),
    "search_cut": ("The search was cut to its first {n} characters.",
                   "検索語が長いため、先頭の{n}文字で検索しました。"),
    "clients_heading": ("Clients", "顧客"),
    "client_heading": ("Client {reference}", "顧客 {reference}"),
    "history": ("Checks", "確認履歴"),
    "no_history": ("No check saved yet.", "保存された確認はありません。"),
    "edit": ("Edit", "編集"),
    "save_changes": ("Save changes", "変更を保存"),
    "export_heading": ("Export", "書き出し"),
    "export_deadlines_csv": ("Deadlines (CSV for Excel)", "期限一覧(Excel 用 CSV)"),
    "export_deadlines_ics": ("Deadlines with reminders (iCalendar, for Outlook / Google "
                             "Calendar)", "期限とリマインダー(iCalendar: Outlook・Google カレンダー用)"),
    "export_history_csv": ("This client's checks (CSV)", "この顧客の確認履歴(CSV)"),
    "export_note": ("Exported files hold client references and dates: keep them as you keep "
                    "the client files.", "書き出したファイルには顧客の参照番号と日付が含まれます。"
                    "顧客ファイルと同様に管理してください。"),
    "print": ("Print this page", "このページを印刷"),
    "error_heading": ("Something went wrong", "エラー"),
    "back": ("Back to the check", "読み取りに戻る"),
    "not_found": ("This page does not exist.", "このページはありません。"),
})

#: The desk's pages call ``text(key, lang, **params)``: the table itself.
text = TEXTS


__all__ = ["LANGS", "TEXTS", "text"]
