"""The FAQ dataset's entries: (category, question, answer, held-out paraphrases); loaded by datasets.faq."""

from __future__ import annotations

__all__ = ["ENTRIES"]

# (category, question, answer, paraphrases). The paraphrases are not in the table: they are the "new
# questions" a support agent would type, each expected to find its original question.
ENTRIES: list[tuple[str, str, str, tuple[str, ...]]] = [
    # -- shipping --
    (
        "shipping",
        "Where is my order?",
        "Open Orders in your account and click Track: the carrier's latest scan is shown there.",
        ("I can't find my parcel, where is it?", "How do I see where my package is right now?"),
    ),
    (
        "shipping",
        "How long does standard shipping take?",
        "Standard shipping takes 3 to 5 business days after dispatch.",
        ("How many days until a normal delivery arrives?",),
    ),
    (
        "shipping",
        "Do you ship internationally?",
        "Yes, we ship to 45 countries; the checkout lists the ones available for your address.",
        ("Can you send orders abroad?", "Is delivery available outside the country?"),
    ),
    (
        "shipping",
        "How much does shipping cost?",
        "Shipping is free above 50 euros; below that it costs 4.90 euros.",
        ("What are the delivery fees?",),
    ),
    (
        "shipping",
        "Can I change my delivery address after ordering?",
        "Yes, until the order is dispatched: edit the address under Orders.",
        ("I put the wrong address on my order, can I fix it?",),
    ),
    (
        "shipping",
        "My package arrived damaged, what should I do?",
        "Send us photos of the box and the item within 14 days and we replace it.",
        ("My parcel was delivered damaged.", "What do I do if my delivery is damaged?"),
    ),
    (
        "shipping",
        "My order is late, what can I do?",
        "If tracking shows no movement for 5 days, contact us and we open an investigation with the carrier.",
        ("My delivery still hasn't arrived and it's overdue.",),
    ),
    (
        "shipping",
        "Can I choose a delivery date?",
        "Yes, pick a delivery day at checkout when express shipping is selected.",
        ("Is it possible to schedule when my parcel arrives?",),
    ),
    (
        "shipping",
        "Do you deliver on weekends?",
        "Express orders are delivered on Saturdays in most cities; there is no Sunday delivery.",
        ("Will a courier come on Saturday?",),
    ),
    (
        "shipping",
        "Can I pick up my order in a store?",
        "Yes, choose Click and Collect at checkout and collect it within 7 days.",
        ("Is collection from a shop an option instead of delivery?",),
    ),
    (
        "shipping",
        "The tracking number does not work.",
        "Tracking numbers become active up to 24 hours after dispatch; try again tomorrow.",
        ("My tracking code shows nothing.",),
    ),
    (
        "shipping",
        "I received the wrong item.",
        "Sorry about that: start a return with reason 'wrong item' and we send the right one for free.",
        ("You sent me a different product than the one I ordered.",),
    ),
    (
        "shipping",
        "Part of my order is missing.",
        "Orders may ship in several parcels; if a parcel is still missing after 3 days, contact us.",
        ("Some items from my order are missing.",),
    ),
    (
        "shipping",
        "Can I send an order as a gift?",
        "Yes, tick 'this is a gift' at checkout: prices are hidden and you can add a message.",
        ("How do I ship something straight to a friend as a present?",),
    ),
    # -- returns --
    (
        "returns",
        "How do I get a refund?",
        "Start a return under Orders; the refund is issued to your payment method once we receive the item.",
        ("I want my money back.", "How can I be reimbursed for a purchase?"),
    ),
    (
        "returns",
        "How long do refunds take?",
        "Refunds reach your account 5 to 10 business days after we receive the return.",
        ("When will I see the money from my refund?",),
    ),
    (
        "returns",
        "What is your return policy?",
        "You can return unused items within 30 days of delivery.",
        ("What is the policy for sending products back?",),
    ),
    (
        "returns",
        "How do I return an item?",
        "Go to Orders, choose the item, click Return and print the prepaid label.",
        ("What are the steps to send a product back?",),
    ),
    (
        "returns",
        "Are returns free?",
        "Returns are free within the EU; elsewhere the return shipping is deducted from the refund.",
        ("Is returning an item free of charge?",),
    ),
    (
        "returns",
        "Can I exchange an item for another size?",
        "Yes, choose Exchange instead of Return and pick the new size.",
        ("The shoes are too small, can I swap them for a bigger pair?",),
    ),
    (
        "returns",
        "I lost my return label.",
        "Download it again from the return page under Orders.",
        ("Where can I get the prepaid shipping label again?",),
    ),
    (
        "returns",
        "Can I return a sale item?",
        "Sale items can be returned like any other item, within 30 days.",
        ("Are discounted products refundable?",),
    ),
    (
        "returns",
        "My refund was lower than expected.",
        "Return shipping outside the EU and used gift wrapping are not refunded; the email lists each deduction.",
        ("Why did I get less money back than I paid?",),
    ),
    (
        "returns",
        "Can I return an item bought in a store online?",
        "Yes, in-store purchases can be returned by mail with the receipt number.",
        ("I bought it in the shop, can I send it back by post?",),
    ),
    # -- billing --
    (
        "billing",
        "What payment methods do you accept?",
        "We accept Visa, Mastercard, American Express, PayPal and bank transfer.",
        ("What payment options do you take?", "Which ways of paying are supported?"),
    ),
    (
        "billing",
        "Why was my card declined?",
        "Your bank refused the payment: check the card details and limit, or try another card.",
        ("My credit card was refused at checkout.",),
    ),
    (
        "billing",
        "I was charged twice.",
        "A duplicate charge is usually a pending authorisation that disappears in 3 days; if not, contact us.",
        ("There are two identical payments on my bank statement.",),
    ),
    (
        "billing",
        "How do I get an invoice?",
        "Invoices are under Orders; click Download invoice next to the order.",
        ("Where can I download the invoice for my order?",),
    ),
    (
        "billing",
        "Can I add my company VAT number to the invoice?",
        "Yes, add the VAT number in your billing details before ordering.",
        ("I need our company VAT ID on the invoice.",),
    ),
    (
        "billing",
        "Do you offer payment in instalments?",
        "Yes, orders above 100 euros can be paid in 3 instalments at no cost.",
        ("Can I split the price into several monthly payments?",),
    ),
    (
        "billing",
        "Is it safe to enter my card on your site?",
        "Yes, payments are processed by a PCI-certified provider; we never store card numbers.",
        ("Is my credit card information secure with you?",),
    ),
    (
        "billing",
        "Why is there a charge I don't recognise?",
        "Check your orders and subscriptions; if you still don't recognise it, contact us with the amount and date.",
        ("I see a charge on my statement that I don't recognize.",),
    ),
    (
        "billing",
        "Which currency will I be charged in?",
        "You are charged in euros; your bank converts the amount if your card is in another currency.",
        ("Do you bill in dollars or euros?",),
    ),
    (
        "billing",
        "Can I pay by bank transfer?",
        "Yes, choose bank transfer at checkout; the order ships when the money arrives.",
        ("Is a wire transfer accepted as payment?",),
    ),
    # -- account --
    (
        "account",
        "How do I reset my password?",
        "Click 'Forgot password' on the sign-in page and follow the link we email you.",
        ("I forgot my password and can't log in.", "How can I change my login password?"),
    ),
    (
        "account",
        "How do I change my email address?",
        "Go to Account, then Profile, and edit the email; we send a confirmation link.",
        ("I want to use a different email for my account.",),
    ),
    (
        "account",
        "How do I delete my account?",
        "Go to Account, then Privacy, and click Delete account; it is removed within 30 days.",
        ("Please close and erase my profile.",),
    ),
    (
        "account",
        "My account is locked.",
        "After 5 failed sign-ins the account locks for 30 minutes; reset the password to unlock it now.",
        ("It says my account has been blocked after too many attempts.",),
    ),
    (
        "account",
        "How do I turn on two-factor authentication?",
        "Go to Account, then Security, and enable two-factor authentication with an authenticator app.",
        ("Can I add a second verification step when signing in?",),
    ),
    (
        "account",
        "I didn't receive the account verification email.",
        "Check the spam folder; you can resend the email from the sign-in page.",
        ("The verification mail for my new account never came.",),
    ),
    (
        "account",
        "Can I have two accounts?",
        "One account per person; you can add several delivery addresses to it.",
        ("Is it allowed to open a second profile?",),
    ),
    (
        "account",
        "How do I update my phone number?",
        "Edit the phone number under Account, then Profile.",
        ("I got a new mobile number, where do I change it?",),
    ),
    (
        "account",
        "How do I unsubscribe from marketing emails?",
        "Click Unsubscribe at the bottom of any newsletter, or turn emails off under Account, then Notifications.",
        ("Stop sending me promotional newsletters.",),
    ),
    (
        "account",
        "Can I sign in with Google?",
        "Yes, choose 'Continue with Google' on the sign-in page.",
        ("Is there a login with my Google account?",),
    ),
    (
        "account",
        "Someone else is using my account.",
        "Reset your password now and sign out all devices under Account, then Security; then contact us.",
        ("I think my account was hacked.",),
    ),
    # -- subscription --
    (
        "subscription",
        "How do I cancel my subscription?",
        "Go to Account, then Subscription, and click Cancel; it stays active until the end of the period.",
        ("I want to stop my monthly plan.", "How can I end my membership?"),
    ),
    (
        "subscription",
        "Can I pause my subscription?",
        "Yes, you can pause it for up to 3 months under Account, then Subscription.",
        ("Can I temporarily pause my membership?",),
    ),
    (
        "subscription",
        "How do I upgrade my plan?",
        "Choose a higher plan under Account, then Subscription; you pay the difference pro rata.",
        ("I want to move to the premium tier.",),
    ),
    (
        "subscription",
        "Will my subscription renew automatically?",
        "Yes, it renews at the end of each period unless you cancel before the renewal date.",
        ("Does the plan auto-renew every month?",),
    ),
    (
        "subscription",
        "Is there a free trial?",
        "New members get a 14-day free trial; cancel before it ends and you pay nothing.",
        ("Do you offer a free trial period?",),
    ),
    (
        "subscription",
        "Can I get a refund for the rest of my subscription?",
        "Annual plans cancelled within 14 days are refunded in full; later cancellations run to the end of the period.",
        ("I cancelled my yearly plan early, do I get money back for the unused months?",),
    ),
    (
        "subscription",
        "How do I change the card used for my subscription?",
        "Update the payment card under Account, then Subscription, then Payment method.",
        ("My card expired, how do I update it for the renewal?",),
    ),
    (
        "subscription",
        "Do you have a student discount?",
        "Students get 50% off the monthly plan after verifying a university email.",
        ("Is there a cheaper price for university students?",),
    ),
    (
        "subscription",
        "Can I share my subscription with family?",
        "The Family plan covers up to 5 people in the same household.",
        ("Can my kids and partner use my membership too?",),
    ),
    # -- products --
    (
        "products",
        "When will an out-of-stock item be available again?",
        "Click 'Notify me' on the product page and we email you when it is back in stock.",
        ("The product I want is sold out, when does it come back?",),
    ),
    (
        "products",
        "Do your products have a warranty?",
        "All products have a 2-year warranty against manufacturing defects.",
        ("What guarantee comes with the things I buy?",),
    ),
    (
        "products",
        "How do I find my size?",
        "Each product page has a size guide with measurements in centimetres.",
        ("Which size should I order?",),
    ),
    (
        "products",
        "Are your products sustainable?",
        "Most of our clothing uses organic cotton or recycled fibres; each page shows the materials.",
        ("Are your clothes eco-friendly?",),
    ),
    (
        "products",
        "My product stopped working.",
        "Contact us with the order number and a description: under warranty we repair or replace it.",
        ("The device I bought is broken after two months.",),
    ),
    (
        "products",
        "Do you sell gift cards?",
        "Yes, digital gift cards from 10 to 500 euros, valid for 2 years.",
        ("Can I purchase a gift card?",),
    ),
    (
        "products",
        "How do I use a discount code?",
        "Enter the code in the 'Promo code' box at checkout and click Apply.",
        ("Where do I type my coupon?",),
    ),
    (
        "products",
        "My discount code doesn't work.",
        "Check the expiry date and minimum order amount; codes cannot be combined with other offers.",
        ("The promo code is rejected at checkout.",),
    ),
    (
        "products",
        "Can I reserve an item?",
        "We cannot reserve items, but Click and Collect orders are held in the store for 7 days.",
        ("Could you hold a product for me until next week?",),
    ),
    (
        "products",
        "Do you offer price matching?",
        "We match the price of authorised retailers within 7 days of your purchase.",
        ("I found it cheaper elsewhere, will you lower your price?",),
    ),
    # -- orders --
    (
        "orders",
        "How do I cancel my order?",
        "Orders can be cancelled under Orders until they are dispatched.",
        ("I want to cancel the order I just placed.",),
    ),
    (
        "orders",
        "Can I add an item to an existing order?",
        "No, but orders placed within an hour to the same address ship together at no extra cost.",
        ("I forgot to put something in my order, can I include it?",),
    ),
    (
        "orders",
        "I didn't get an order confirmation.",
        "Check the spam folder and the Orders page; if the order is not there, the payment did not go through.",
        ("I never got a confirmation for my order.",),
    ),
    (
        "orders",
        "Can I order by phone?",
        "Yes, call customer service on weekdays from 9:00 to 18:00 to place an order.",
        ("Is it possible to buy over the telephone?",),
    ),
    (
        "orders",
        "Is there a minimum order amount?",
        "There is no minimum, but shipping is free only above 50 euros.",
        ("Do I need to spend a certain amount to order?",),
    ),
    (
        "orders",
        "How do I see my past orders?",
        "All your orders from the last 5 years are listed under Orders.",
        ("Where is my purchase history?",),
    ),
    # -- privacy --
    (
        "privacy",
        "What data do you keep about me?",
        "Your profile, orders and preferences; download a copy under Account, then Privacy.",
        ("Can I get a copy of my personal information?",),
    ),
    (
        "privacy",
        "Do you sell my data?",
        "No, we never sell personal data; see the privacy policy for the partners we share it with.",
        ("Is my personal information passed on to advertisers?",),
    ),
    (
        "privacy",
        "How do I manage cookies?",
        "Click Cookie settings at the bottom of any page to change your choices.",
        ("Where can I turn off tracking cookies?",),
    ),
    # -- support --
    (
        "support",
        "How do I contact customer service?",
        "Use the chat on this page, email support@example.com or call us on weekdays from 9:00 to 18:00.",
        ("How can I speak to a human agent?", "What is your support phone number?"),
    ),
    (
        "support",
        "What are your opening hours?",
        "Our stores open Monday to Saturday from 10:00 to 19:00.",
        ("When are your shops open?",),
    ),
    (
        "support",
        "How do I make a complaint?",
        "Write to complaints@example.com with your order number; we answer within 5 business days.",
        ("I want to file a formal complaint about your service.",),
    ),
    (
        "support",
        "Do you have a loyalty program?",
        "Members earn one point per euro spent; 100 points give a 5 euro voucher.",
        ("Do you have a rewards program for loyal customers?",),
    ),
    (
        "support",
        "Can I leave a review?",
        "Yes, a review link is emailed a week after delivery, or write one on the product page.",
        ("How can I write a review of a product?",),
    ),
    (
        "support",
        "Is the app available for Android?",
        "Yes, the app is on Google Play and the App Store.",
        ("Can I download your application on my Android phone?",),
    ),
    (
        "support",
        "The website is not loading.",
        "Clear the browser cache or try another browser; check our status page for outages.",
        ("Your site keeps showing an error page.",),
    ),
]
